namespace SegPlugins.Core.Inference;

/// <summary>Where ONNX Runtime runs the models.</summary>
public enum ExecutionDevice
{
    /// <summary>DirectML on Windows builds, CUDA where its provider is present, otherwise CPU.</summary>
    Auto,
    Cpu,
    /// <summary>DirectML (Windows GPUs); only in builds that reference the DirectML package.</summary>
    DirectML,
    /// <summary>CUDA, where the CUDA build of ONNX Runtime is present.</summary>
    Cuda,
}

/// <summary>Settings shared by every engine session.</summary>
public sealed record EngineOptions
{
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    /// <summary>Threads for one model run; default: one per core.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Memory bound of the in-memory embedding cache (one SAM embedding is 4 MiB).</summary>
    public long EmbeddingCacheBytes { get; init; } = 256L << 20;

    /// <summary>One-line notices (such as a fallback to CPU) for the host to show; null drops them.</summary>
    public Action<string>? Notice { get; init; }

    public static EngineOptions Default { get; } = new();

    public static ExecutionDevice ParseDevice(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => ExecutionDevice.Auto,
        "cpu" => ExecutionDevice.Cpu,
        "dml" or "directml" => ExecutionDevice.DirectML,
        "cuda" => ExecutionDevice.Cuda,
        _ => throw new SegArgumentException("--device", $"'{text}' is not a device; expected auto, cpu, dml or cuda"),
    };
}

using SegPlugins.Core.Inference.Quantization;

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

    /// <summary>Which GPU for DirectML (DXGI adapter index) or CUDA (device ordinal); null: the provider's default, 0.</summary>
    public int? DeviceId { get; init; }

    /// <summary>
    /// Precision of the SAM image encoder: float32 (default) or the int8 variant made from it on first use and kept
    /// in the model cache. Other models (FastSAM, CLIP, the salient-object model) always run in float32.
    /// </summary>
    public ModelPrecision Precision { get; init; } = ModelPrecision.Fp32;

    /// <summary>
    /// Precision of the SAM prompt decoder, the model every click runs: float32 (default) or its int8 variant, made
    /// from the verified float32 file on first use and kept in the model cache like the encoder's (README, "Int8").
    /// Independent of <see cref="Precision"/>: the image embedding, and so its caches, depend only on the encoder.
    /// </summary>
    public ModelPrecision DecoderPrecision { get; init; } = ModelPrecision.Fp32;

    /// <summary>
    /// Keep ONNX Runtime's memory arena and planned memory pattern, so that the buffers of the largest run stay
    /// allocated for the next (default: right for sessions that run many times). A one-shot command sets false:
    /// measured on a 12 MP one-shot <c>segplug select</c>, peak RSS 709 MB with them, 579 MB without.
    /// </summary>
    public bool KeepRunMemory { get; init; } = true;

    /// <summary>
    /// Sessions with <see cref="KeepRunMemory"/> on the CPU take their run memory from one arena shared by the process
    /// (registered with ONNX Runtime's environment) instead of one arena each: for a process that keeps several large
    /// models open but runs one at a time, such as <c>segplug bench</c> with its four encoder sessions. Default off.
    /// </summary>
    public bool ShareRunMemory { get; init; }

    /// <summary>
    /// Keep ONNX Runtime's optimised form of each model in the model cache and load it in later processes (CPU only;
    /// see OptimizedModelCache): a one-shot command then skips the graph optimisation. Default on.
    /// </summary>
    public bool CacheOptimizedModels { get; init; } = true;

    /// <summary>Where the optimised models go; null: <c>&lt;model cache&gt;/ort-optimized</c>.</summary>
    internal string? OptimizedModelFolder { get; init; }

    /// <summary>Threads for one model run; default: one per core.</summary>
    public int? IntraOpThreads { get; init; }

    /// <summary>Memory bound of the in-memory embedding cache (one SAM embedding is 4 MiB).</summary>
    public long EmbeddingCacheBytes { get; init; } = 256L << 20;

    /// <summary>One-line notices (such as a fallback to CPU) for the host to show; null drops them.</summary>
    public Action<string>? Notice { get; init; }

    public static EngineOptions Default { get; } = new();

    /// <summary>The device of <c>--device</c> (see <see cref="DeviceSpec.Parse"/>; a device number is accepted and dropped here).</summary>
    public static ExecutionDevice ParseDevice(string text) => DeviceSpec.Parse(text).Device;
}

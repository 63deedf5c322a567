using Microsoft.ML.OnnxRuntime;

namespace SegPlugins.Core.Inference;

/// <summary>
/// Opens ONNX models with the chosen execution provider, after cheap checks that turn a missing, truncated or
/// foreign file into a clear message instead of a runtime error deep inside ONNX Runtime.
/// </summary>
internal static class OnnxModelLoader
{
    private static readonly object ProviderLock = new();
    private static HashSet<string>? _providers;

    /// <summary>Execution providers compiled into the ONNX Runtime build that was loaded.</summary>
    public static IReadOnlySet<string> AvailableProviders
    {
        get
        {
            lock (ProviderLock)
                return _providers ??= new HashSet<string>(OrtEnv.Instance().GetAvailableProviders(), StringComparer.Ordinal);
        }
    }

    public static InferenceSession Open(string path, string modelName, EngineOptions options, out ExecutionDevice used, Func<byte[], byte[]>? rewrite = null)
    {
        CheckFile(path, modelName);
        used = ExecutionDevice.Cpu;
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads ?? Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        // Idle ONNX Runtime workers spin for a while after each run; on a 2-core machine they would then fight the
        // mask upscaling that follows every click for the same cores.
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try
        {
            used = AppendProvider(so, options);
            return rewrite is null ? new InferenceSession(path, so) : new InferenceSession(rewrite(File.ReadAllBytes(path)), so);
        }
        catch (OnnxRuntimeException e)
        {
            so.Dispose();
            throw new SegModelException(modelName, $"{path} could not be loaded by ONNX Runtime; the file is corrupt, truncated or not an ONNX model ({FirstLine(e.Message)})", e);
        }
        catch (Exception e) when (e is not SegException)
        {
            so.Dispose();
            throw new SegModelException(modelName, $"{path} could not be loaded ({FirstLine(e.Message)})", e);
        }
    }

    /// <summary>Rejects files that cannot be ONNX models before ONNX Runtime parses them.</summary>
    public static void CheckFile(string path, string modelName)
    {
        if (!File.Exists(path))
            throw new SegModelException(modelName, $"file not found: {path}");
        var info = new FileInfo(path);
        if (info.Length < 16)
            throw new SegModelException(modelName, $"{path} is {info.Length} bytes; too small to be an ONNX model (truncated download?)");
        Span<byte> head = stackalloc byte[2];
        using (var fs = File.OpenRead(path))
            fs.ReadExactly(head);
        // A serialized ModelProto starts with field 1 (ir_version, varint): tag byte 0x08, then a small version number.
        if (head[0] != 0x08 || head[1] == 0 || head[1] > 64)
            throw new SegModelException(modelName, $"{path} is not an ONNX model (it does not start with an ONNX ir_version field)");
    }

    private static ExecutionDevice AppendProvider(SessionOptions so, EngineOptions options)
    {
        var want = options.Device;
        if (want is ExecutionDevice.Auto or ExecutionDevice.DirectML)
        {
#if SEG_DIRECTML
            if (TryAppend(() => { so.EnableMemoryPattern = false; so.AppendExecutionProvider_DML(0); }))
                return ExecutionDevice.DirectML;
            if (want == ExecutionDevice.DirectML)
                options.Notice?.Invoke("DirectML is not available on this machine; running on the CPU.");
#else
            if (want == ExecutionDevice.DirectML)
                options.Notice?.Invoke("DirectML is only in the Windows build; running on the CPU.");
#endif
        }
        if (want is ExecutionDevice.Auto or ExecutionDevice.Cuda)
        {
            if (AvailableProviders.Contains("CUDAExecutionProvider") && TryAppend(() => so.AppendExecutionProvider_CUDA(0)))
                return ExecutionDevice.Cuda;
            if (want == ExecutionDevice.Cuda)
                options.Notice?.Invoke("CUDA is not available (no CUDA build of ONNX Runtime or no GPU); running on the CPU.");
        }
        return ExecutionDevice.Cpu;
    }

    private static bool TryAppend(Action append)
    {
        try { append(); return true; }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException) { return false; }
    }

    internal static string FirstLine(string s)
    {
        int i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }
}

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

    /// <summary>"name [dims], ..." for the inputs or outputs of a model, for messages that say what a file has.</summary>
    internal static string Describe(IReadOnlyDictionary<string, NodeMetadata> nodes) =>
        string.Join(", ", nodes.Select(kv => $"{kv.Key} [{(kv.Value.IsTensor ? string.Join(',', kv.Value.Dimensions) : "?")}]"));

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
        if (!options.KeepRunMemory)
        {
            // Without the arena and the planned memory pattern, each run's buffers go back to the system as they are freed.
            so.EnableCpuMemArena = false;
            so.EnableMemoryPattern = false;
        }
        try
        {
            used = AppendProvider(so, options);
            if (options.ShareRunMemory && options.KeepRunMemory && used == ExecutionDevice.Cpu) UseSharedArena(so);
            if (options.CacheOptimizedModels && used == ExecutionDevice.Cpu)
            {
                var bytes = File.ReadAllBytes(path);
                return OptimizedModelCache.Open(rewrite is null ? bytes : rewrite(bytes), so, options.OptimizedModelFolder ?? OptimizedModelCache.DefaultFolder());
            }
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

    private static bool _sharedArena;

    /// <summary>
    /// Makes <paramref name="so"/>'s session take CPU memory from one arena registered with ONNX Runtime's environment
    /// (created on first use, default arena settings), shared by every session that asks for it.
    /// </summary>
    internal static void UseSharedArena(SessionOptions so)
    {
        lock (ProviderLock)
        {
            if (!_sharedArena)
            {
                using var memory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
                // 0 / -1: ONNX Runtime's defaults for the size limit, extend strategy, first chunk and dead bytes per chunk.
                using var arena = new OrtArenaCfg(0, -1, -1, -1);
                OrtEnv.Instance().CreateAndRegisterAllocator(memory, arena);
                _sharedArena = true;
            }
        }
        so.AddSessionConfigEntry("session.use_env_allocators", "1");
    }

    /// <summary>Rejects files that cannot be ONNX models before ONNX Runtime parses them.</summary>
    public static void CheckFile(string path, string modelName)
    {
        if (!File.Exists(path))
            throw new SegModelException(modelName, $"file not found: {path}");
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new SegModelException(modelName, $"{path} cannot be opened ({e.Message})", e); }
        using (fs) CheckHeader(fs, path, modelName);
    }

    /// <summary>Most top-level fields walked; real models have a dozen, the rest is left to ONNX Runtime.</summary>
    internal const int MaxTopLevelFields = 4096;

    /// <summary>
    /// The checks of <see cref="CheckFile"/> on a seekable stream (from position 0). A serialized ModelProto is a
    /// sequence of protobuf fields; only the top-level tags and lengths are read (contents are skipped), so a
    /// truncated download, a foreign file or a length that points past the end is refused in a few reads even for a
    /// large model, and ONNX Runtime never sees it.
    /// </summary>
    internal static void CheckHeader(Stream stream, string path, string modelName)
    {
        long length = stream.Length;
        if (length < 16)
            throw new SegModelException(modelName, $"{path} is {length} bytes; too small to be an ONNX model (truncated download?)");
        stream.Position = 0;
        Span<byte> head = stackalloc byte[2];
        stream.ReadExactly(head);
        // ModelProto field 1 is ir_version (varint): tag byte 0x08, then a small version number (onnx.proto: IR versions 1..11 so far).
        if (head[0] != 0x08 || head[1] == 0 || head[1] > 64)
            throw new SegModelException(modelName, $"{path} is not an ONNX model (it does not start with an ONNX ir_version field)");
        bool graph = false;
        for (int n = 1; n < MaxTopLevelFields && stream.Position < length; n++)
        {
            long at = stream.Position;
            ulong tag = ReadVarint(stream, length, path, modelName, at);
            ulong field = tag >> 3;
            int wire = (int)(tag & 7);
            if (field == 0 || field > 536_870_911)
                throw Corrupt(path, modelName, $"field number {field} at byte {at} is not a valid protobuf field");
            switch (wire)
            {
                case 0: ReadVarint(stream, length, path, modelName, at); break;
                case 1: Skip(stream, 8, length, field, at, path, modelName); break;
                case 5: Skip(stream, 4, length, field, at, path, modelName); break;
                case 2:
                    ulong len = ReadVarint(stream, length, path, modelName, at);
                    if (field == 7 && len > 0) graph = true; // ModelProto.graph
                    Skip(stream, len, length, field, at, path, modelName);
                    break;
                default:
                    throw Corrupt(path, modelName, $"field {field} at byte {at} has protobuf wire type {wire}, which ONNX models do not use");
            }
        }
        if (stream.Position >= length && !graph)
            throw Corrupt(path, modelName, "it has no graph (ModelProto field 7)");
    }

    private static SegModelException Corrupt(string path, string modelName, string detail) =>
        new(modelName, $"{path} is corrupt, truncated or not an ONNX model: {detail}");

    private static void Skip(Stream stream, ulong count, long length, ulong field, long at, string path, string modelName)
    {
        ulong remaining = (ulong)(length - stream.Position);
        if (count > remaining)
            throw Corrupt(path, modelName, $"field {field} at byte {at} declares {count} bytes but only {remaining} remain (truncated download?)");
        stream.Seek((long)count, SeekOrigin.Current);
    }

    private static ulong ReadVarint(Stream stream, long length, string path, string modelName, long at)
    {
        ulong v = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            int b = stream.ReadByte();
            if (b < 0) throw Corrupt(path, modelName, $"the file ends inside the field at byte {at} (truncated download?)");
            if (shift == 63 && b > 1) break;
            v |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return v;
        }
        throw Corrupt(path, modelName, $"the number at byte {at} is longer than a protobuf varint");
    }

    private static ExecutionDevice AppendProvider(SessionOptions so, EngineOptions options)
    {
        var want = options.Device;
        if (want is ExecutionDevice.Auto or ExecutionDevice.DirectML)
        {
#if SEG_DIRECTML
            if (TryAppend(() => { so.EnableMemoryPattern = false; so.AppendExecutionProvider_DML(options.DeviceId ?? 0); }))
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
            if (AvailableProviders.Contains("CUDAExecutionProvider") && TryAppend(() => so.AppendExecutionProvider_CUDA(options.DeviceId ?? 0)))
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

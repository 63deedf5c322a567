using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Microsoft.ML.OnnxRuntime;

namespace SegPlugins.Core.Inference;

/// <summary>
/// ONNX Runtime's optimised models, kept in the model cache so that a new process skips the graph optimisation
/// (measured on MobileSAM under load: session creation 620 -> 205 ms for the encoder, 670 -> 230 ms for the decoder).
/// The first session of a model writes its optimised graph (<c>SessionOptions.OptimizedModelFilePath</c>, to a temp
/// name renamed when complete); later ones load that file with optimisation off. The file is keyed by a hash of the
/// model bytes as ONNX Runtime gets them (after any rewrite), the ONNX Runtime version, the optimisation level and the
/// processor's instruction sets, because a fully optimised graph holds layout choices for this kind of processor. A
/// cached file that ONNX Runtime refuses is deleted and made again; the folder keeps the newest <see cref="MaxFiles"/>.
/// CPU sessions only.
/// </summary>
internal static class OptimizedModelCache
{
    /// <summary>The folder beside the models: <c>&lt;model cache&gt;/ort-optimized</c>.</summary>
    public static string DefaultFolder() => Path.Combine(ModelStore.DefaultCacheDirectory(), "ort-optimized");

    /// <summary>A session on the model's optimised form, from <paramref name="folder"/> or made there now.</summary>
    public static InferenceSession Open(byte[] model, SessionOptions so, string folder)
    {
        string file = Path.Combine(folder, Key(model, so.GraphOptimizationLevel) + ".onnx");
        var level = so.GraphOptimizationLevel;
        if (File.Exists(file))
        {
            try
            {
                so.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
                return new InferenceSession(file, so);
            }
            catch (OnnxRuntimeException)
            {
                TryDelete(file);
                so.GraphOptimizationLevel = level;
            }
        }
        string? temp = null;
        try
        {
            Directory.CreateDirectory(folder);
            temp = Path.Combine(folder, $".{Path.GetFileName(file)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            so.OptimizedModelFilePath = temp;
            // ONNX Runtime warns that a fully optimised graph is for this processor only; the key says so already.
            so.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            temp = null; // the cache folder cannot be written: optimise in memory only
        }
        var session = new InferenceSession(model, so);
        if (temp is not null)
        {
            try
            {
                if (File.Exists(temp)) File.Move(temp, file, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process may have renamed its copy at the same moment; either copy serves.
            }
            finally
            {
                TryDelete(temp);
            }
            Prune(folder, file);
        }
        return session;
    }

    /// <summary>Optimised models kept at most; older ones (by last write) go when a new one is written.</summary>
    internal const int MaxFiles = 16;

    private static void Prune(string folder, string keep)
    {
        try
        {
            var old = new DirectoryInfo(folder).GetFiles("*.onnx").Where(f => f.FullName != keep)
                .OrderByDescending(f => f.LastWriteTimeUtc).Skip(MaxFiles - 1);
            foreach (var f in old) TryDelete(f.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    internal static string Key(ReadOnlySpan<byte> model, GraphOptimizationLevel level)
    {
        var hash = new XxHash128();
        hash.Append(model);
        string context = $"{OrtEnv.Instance().GetVersionString()}|{level}|{Isa()}";
        hash.Append(System.Text.Encoding.UTF8.GetBytes(context));
        return Convert.ToHexString(hash.GetCurrentHash()).ToLowerInvariant();
    }

    /// <summary>The processor features that ONNX Runtime's CPU kernels and layout choices depend on.</summary>
    internal static string Isa() =>
        RuntimeInformation.ProcessArchitecture + (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86
            ? $" avx2={Avx2.IsSupported} fma={Fma.IsSupported} avx512f={Avx512F.IsSupported} avx512bw={Avx512BW.IsSupported} avx512vbmi={Avx512Vbmi.IsSupported}"
            : "");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

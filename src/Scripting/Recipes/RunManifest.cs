using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Per-output-directory record of what earlier runs produced (<c>.segplug-manifest.json</c>), so a re-run skips
/// inputs whose outputs are newer than the input and the recipe and were made by the same recipe and arguments.
/// Written atomically at the end of a run (also a cancelled one). An unreadable manifest just means nothing is skipped.
/// </summary>
internal sealed class RunManifest
{
    public const string FileName = ".segplug-manifest.json";
    private const long MaxBytes = 64L * 1024 * 1024;

    private readonly Dictionary<string, Item> _items;
    private readonly object _gate = new();
    private bool _dirty;

    internal sealed record Item(
        [property: JsonPropertyName("recipe")] string RecipeKey,
        [property: JsonPropertyName("args")] string ArgsKey,
        [property: JsonPropertyName("outputs")] List<string> Outputs);

    private sealed record Document(
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("items")] Dictionary<string, Item> Items);

    private RunManifest(Dictionary<string, Item> items) => _items = items;

    public static RunManifest Load(string outputDir)
    {
        var empty = new Dictionary<string, Item>(RecipeSource.PathComparer);
        string path = Path.Combine(outputDir, FileName);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes) return new RunManifest(empty);
            var doc = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path));
            if (doc is not { Version: 1, Items: not null }) return new RunManifest(empty);
            foreach (var (k, v) in doc.Items)
                if (v is { RecipeKey: not null, ArgsKey: not null, Outputs: not null }) empty[k] = v;
            return new RunManifest(empty);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new RunManifest(empty);
        }
    }

    /// <summary>True when this input's recorded outputs all exist and are newer than both the input and the recipe.</summary>
    public bool IsUpToDate(RecipeInput input, string recipeKey, string argsKey, DateTime recipeWriteUtc, string outputDir, IRecipeFileSystem fs)
    {
        Item? item;
        lock (_gate)
            if (!_items.TryGetValue(input.FullPath, out item)) return false;
        if (item.RecipeKey != recipeKey || item.ArgsKey != argsKey || item.Outputs.Count == 0) return false;
        if (!fs.FileExists(input.FullPath)) return false;
        DateTime inputTime = fs.LastWriteUtc(input.FullPath);
        foreach (var rel in item.Outputs)
        {
            string p = Path.GetFullPath(Path.Combine(outputDir, rel));
            if (!fs.FileExists(p)) return false;
            DateTime t = fs.LastWriteUtc(p);
            if (t <= inputTime || t <= recipeWriteUtc) return false;
        }
        return true;
    }

    public void Record(RecipeInput input, string recipeKey, string argsKey, IReadOnlyList<string> outputs, string outputDir)
    {
        var rel = outputs.Select(o => Path.GetRelativePath(outputDir, o).Replace('\\', '/')).ToList();
        lock (_gate)
        {
            _items[input.FullPath] = new Item(recipeKey, argsKey, rel);
            _dirty = true;
        }
    }

    public void Save(string outputDir, IRecipeFileSystem fs)
    {
        byte[] bytes;
        lock (_gate)
        {
            if (!_dirty) return;
            bytes = JsonSerializer.SerializeToUtf8Bytes(new Document(1, _items), new JsonSerializerOptions { WriteIndented = true });
            _dirty = false;
        }
        string final = Path.Combine(outputDir, FileName);
        string temp;
        using (var s = fs.CreateTemp(outputDir, FileName, out temp))
        {
            try
            {
                s.Write(bytes);
                if (s is FileStream f) f.Flush(flushToDisk: true);
            }
            catch
            {
                s.Dispose();
                fs.DeleteIfExists(temp);
                throw;
            }
        }
        fs.Move(temp, final);
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Per-output-directory record of what earlier runs produced (<c>.segplug-manifest.json</c>), so a re-run skips
/// inputs whose outputs are newer than the input and the recipe and were made by the same recipe and arguments.
/// Written atomically during a run (see <see cref="SaveIfDue"/>) and at its end (also a cancelled one), so a killed
/// run still lets the next one skip most of what it finished. An unreadable manifest just means nothing is skipped.
/// </summary>
internal sealed class RunManifest
{
    public const string FileName = ".segplug-manifest.json";
    private const long MaxBytes = 64L * 1024 * 1024;

    private readonly Dictionary<string, Item> _items;
    private readonly object _gate = new();
    private readonly object _saveGate = new();
    private bool _dirty;
    private int _recordedSinceSave;
    private long _lastSaveTicks = Environment.TickCount64;

    /// <summary>
    /// A killed run redoes at most this fraction of the items it finished: saving when the unsaved items reach a
    /// sixteenth of all recorded ones makes the saves' total size linear in the batch, not quadratic.
    /// </summary>
    private const int UnsavedFraction = 16;

    /// <summary>...or at most this much work, whichever comes first.</summary>
    private const long MaxUnsavedMilliseconds = 2000;

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
            _recordedSinceSave++;
        }
    }

    /// <summary>
    /// Saves when enough was recorded since the last save (see <see cref="UnsavedFraction"/>) or enough time passed.
    /// Returns whether it saved. Called after every finished item; the run's final <see cref="Save"/> still follows.
    /// </summary>
    public bool SaveIfDue(string outputDir, IRecipeFileSystem fs)
    {
        lock (_gate)
        {
            if (_recordedSinceSave == 0) return false;
            bool enough = _recordedSinceSave >= Math.Max(1, _items.Count / UnsavedFraction);
            bool late = Environment.TickCount64 - Interlocked.Read(ref _lastSaveTicks) >= MaxUnsavedMilliseconds;
            if (!enough && !late) return false;
        }
        Save(outputDir, fs);
        return true;
    }

    public void Save(string outputDir, IRecipeFileSystem fs)
    {
        // One save at a time: two overlapping saves could rename an older snapshot over a newer one.
        lock (_saveGate) SaveCore(outputDir, fs);
    }

    private void SaveCore(string outputDir, IRecipeFileSystem fs)
    {
        byte[] bytes;
        lock (_gate)
        {
            if (!_dirty) return;
            bytes = JsonSerializer.SerializeToUtf8Bytes(new Document(1, _items), new JsonSerializerOptions { WriteIndented = true });
            _dirty = false;
            _recordedSinceSave = 0;
            Interlocked.Exchange(ref _lastSaveTicks, Environment.TickCount64);
        }
        try
        {
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
        catch
        {
            lock (_gate) _dirty = true; // not on disk: a later save must still write it
            throw;
        }
    }
}

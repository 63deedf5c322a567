using System.Globalization;
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

    private readonly string _fileName;
    private readonly Dictionary<string, Item> _others;
    private readonly bool _saveEveryItem;

    private RunManifest(Dictionary<string, Item> items, Dictionary<string, Item> others, string fileName, bool saveEveryItem) =>
        (_items, _others, _fileName, _saveEveryItem) = (items, others, fileName, saveEveryItem);

    /// <summary>
    /// The manifest a run writes: <see cref="FileName"/>, or for shard K of N its own
    /// <c>.segplug-manifest.shard-K-of-N.json</c>, since shards running at once in one folder would each overwrite
    /// the others' records in a shared file.
    /// </summary>
    public static string FileNameFor((int K, int N)? shard) =>
        shard is { } s ? string.Create(CultureInfo.InvariantCulture, $".segplug-manifest.shard-{s.K}-of-{s.N}.json") : FileName;

    /// <summary>
    /// Reads the folder's manifest and every shard's, so any run (sharded or not) skips what any of them did. A shard
    /// writes back only its own records, and after every finished input: a scheduler may kill and requeue a task at
    /// any moment, and the requeued task must not redo an input that was finished.
    /// </summary>
    public static RunManifest Load(string outputDir, (int K, int N)? shard = null)
    {
        string own = FileNameFor(shard);
        var items = new Dictionary<string, Item>(RecipeSource.PathComparer);
        var others = new Dictionary<string, Item>(RecipeSource.PathComparer);
        var files = new List<string> { Path.Combine(outputDir, FileName) };
        try
        {
            if (Directory.Exists(outputDir))
                files.AddRange(Directory.EnumerateFiles(outputDir, ".segplug-manifest.shard-*.json").Order(StringComparer.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        // A run over everything takes every record into its own manifest; a shard keeps the others' apart.
        foreach (var path in files) ReadInto(path, shard is null || Path.GetFileName(path) == own ? items : others);
        return new RunManifest(items, others, own, saveEveryItem: shard is not null);
    }

    private static void ReadInto(string path, Dictionary<string, Item> items)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes) return;
            var doc = JsonSerializer.Deserialize<Document>(File.ReadAllBytes(path));
            if (doc is not { Version: 1, Items: not null }) return;
            foreach (var (k, v) in doc.Items)
                if (v is { RecipeKey: not null, ArgsKey: not null, Outputs: not null }) items[k] = v;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // An unreadable manifest just means its inputs are not skipped.
        }
    }

    /// <summary>True when this input's recorded outputs all exist and are newer than both the input and the recipe.</summary>
    public bool IsUpToDate(RecipeInput input, string recipeKey, string argsKey, DateTime recipeWriteUtc, string outputDir, IRecipeFileSystem fs)
    {
        Item? item;
        lock (_gate)
            if (!_items.TryGetValue(input.FullPath, out item) && !_others.TryGetValue(input.FullPath, out item)) return false;
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
            bool enough = _saveEveryItem || _recordedSinceSave >= Math.Max(1, _items.Count / UnsavedFraction);
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
            string final = Path.Combine(outputDir, _fileName);
            string temp;
            using (var s = fs.CreateTemp(outputDir, _fileName, out temp))
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

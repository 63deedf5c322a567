using System.Text.Json;
using SegPlugins.Core.Inference;
using SegPlugins.Scripting.Files;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Compiled recipes on disk: <c>&lt;key&gt;.dll</c> plus <c>&lt;key&gt;.json</c> naming the entry point, in a per-user
/// directory (<c>SEGPLUG_CACHE</c>/recipes when that variable is set). Both are written atomically; a damaged or
/// half-present entry is a miss, never an error, because the recipe can always be compiled again.
/// </summary>
internal sealed class RecipeCache
{
    public const string EnvironmentVariable = "SEGPLUG_CACHE";

    public RecipeCache(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>A cache that never hits nor writes (for --no-cache style use and tests that must compile).</summary>
    public static RecipeCache Disabled { get; } = new("");

    /// <summary><c>SEGPLUG_CACHE</c>/recipes, else the per-user cache folder beside the engine's model cache.</summary>
    public static string DefaultDirectory()
    {
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return Path.Combine(env, "recipes");
        return ModelStore.UserCacheFolder("recipes");
    }

    private sealed record Entry(string EntryType, string EntryMethod, long Length);

    public CompiledRecipe? TryGet(string key)
    {
        if (Directory.Length == 0) return null;
        try
        {
            string meta = Path.Combine(Directory, key + ".json");
            string dll = Path.Combine(Directory, key + ".dll");
            if (!File.Exists(meta) || !File.Exists(dll)) return null;
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(meta));
            if (entry is null || string.IsNullOrEmpty(entry.EntryType) || string.IsNullOrEmpty(entry.EntryMethod)) return null;
            byte[] bytes = File.ReadAllBytes(dll);
            if (bytes.Length != entry.Length) return null;
            return new CompiledRecipe(key, bytes, entry.EntryType, entry.EntryMethod, FromCache: true, TimeSpan.Zero);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    public void Put(CompiledRecipe recipe)
    {
        if (Directory.Length == 0) return;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            AtomicWrite.Bytes(Path.Combine(Directory, recipe.Key + ".dll"), recipe.Assembly);
            // The metadata goes last: its presence says the dll beside it is complete.
            AtomicWrite.Bytes(Path.Combine(Directory, recipe.Key + ".json"),
                JsonSerializer.SerializeToUtf8Bytes(new Entry(recipe.EntryType, recipe.EntryMethod, recipe.Assembly.Length)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only or full cache only costs the next run a compile.
        }
    }
}

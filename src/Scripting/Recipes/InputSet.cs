using SegPlugins.Core;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Turns command-line inputs (files, folders, globs with <c>*</c>, <c>?</c> and <c>**</c>) into a sorted, de-duplicated
/// list. Folders and globs yield the image types the engine reads (PNG, JPEG, BMP); a file named directly is taken
/// as is, so a wrong file gets the engine's own error rather than silently disappearing.
/// </summary>
internal static class InputSet
{
    internal static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    public sealed record Expansion(IReadOnlyList<RecipeInput> Inputs, IReadOnlyList<string> Unmatched);

    public static Expansion Expand(IReadOnlyList<string> specs, string currentDirectory)
    {
        var byPath = new Dictionary<string, string>(RecipeSource.PathComparer); // full path -> relative path
        var unmatched = new List<string>();
        foreach (var spec in specs)
        {
            bool any = false;
            foreach (var (full, rel) in ExpandOne(spec, currentDirectory))
            {
                any = true;
                byPath.TryAdd(full, rel);
            }
            if (!any) unmatched.Add(spec);
        }
        // Sort by normalised relative path (ordinal, '/' separators), full path breaking ties: the order, and so
        // {index} and --shard, do not depend on the file system's listing order.
        var sorted = byPath.Select(kv => (Full: kv.Key, Rel: kv.Value))
            .OrderBy(x => x.Rel, StringComparer.Ordinal)
            .ThenBy(x => x.Full, StringComparer.Ordinal)
            .Select((x, i) => new RecipeInput(x.Full, x.Rel, i + 1))
            .ToList();
        return new Expansion(sorted, unmatched);
    }

    /// <summary>The deterministic 1/N subset for shard K (1-based): inputs whose 0-based sorted position % N == K-1.</summary>
    public static IReadOnlyList<RecipeInput> Shard(IReadOnlyList<RecipeInput> inputs, int k, int n)
    {
        if (n < 1 || k < 1 || k > n)
            throw new SegArgumentException("--shard", $"expected K/N with 1 <= K <= N, got {k}/{n}");
        var r = new List<RecipeInput>();
        for (int i = 0; i < inputs.Count; i++)
            if (i % n == k - 1) r.Add(inputs[i]);
        return r;
    }

    private static IEnumerable<(string Full, string Rel)> ExpandOne(string spec, string cwd)
    {
        if (spec.IndexOfAny(['*', '?']) < 0)
        {
            string full = Path.GetFullPath(spec, cwd);
            if (File.Exists(full))
            {
                yield return (full, Path.GetFileName(full));
            }
            else if (Directory.Exists(full))
            {
                foreach (var f in Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System }))
                    if (IsImage(f)) yield return (f, Path.GetRelativePath(full, f).Replace('\\', '/'));
            }
            yield break;
        }

        string norm = spec.Replace('\\', '/');
        string[] parts = norm.Split('/');
        int firstWild = Array.FindIndex(parts, p => p.IndexOfAny(['*', '?']) >= 0);
        string baseRel = string.Join('/', parts, 0, firstWild);
        string baseDir = firstWild == 0 ? cwd
            : baseRel.Length == 0 ? Path.GetPathRoot(cwd) ?? "/" // "/*.png": the pattern starts at the root
            : Path.GetFullPath(baseRel, cwd);
        if (!Directory.Exists(baseDir)) yield break;
        string[] pattern = parts[firstWild..];
        bool recursive = pattern.Length > 1 || pattern.Contains("**");
        var opts = new EnumerationOptions
        {
            RecurseSubdirectories = recursive,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            MaxRecursionDepth = pattern.Contains("**") ? int.MaxValue : pattern.Length,
        };
        bool ignoreCase = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();
        foreach (var f in Directory.EnumerateFiles(baseDir, "*", opts))
        {
            string rel = Path.GetRelativePath(baseDir, f).Replace('\\', '/');
            if (IsImage(f) && Glob.Match(pattern, rel.Split('/'), ignoreCase)) yield return (f, rel);
        }
    }

    private static bool IsImage(string path) =>
        ImageExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);
}

/// <summary>Glob matching over path segments: <c>*</c> and <c>?</c> within a segment, <c>**</c> across any number of segments.</summary>
internal static class Glob
{
    public static bool Match(ReadOnlySpan<string> pattern, ReadOnlySpan<string> path, bool ignoreCase)
    {
        while (pattern.Length > 0)
        {
            if (pattern[0] == "**")
            {
                // Collapse runs of ** then try every split point.
                while (pattern.Length > 0 && pattern[0] == "**") pattern = pattern[1..];
                if (pattern.Length == 0) return true;
                for (int i = 0; i <= path.Length; i++)
                    if (Match(pattern, path[i..], ignoreCase)) return true;
                return false;
            }
            if (path.Length == 0 || !MatchSegment(pattern[0], path[0], ignoreCase)) return false;
            pattern = pattern[1..];
            path = path[1..];
        }
        return path.Length == 0;
    }

    /// <summary>Wildcard match of one segment with backtracking over the last <c>*</c> (linear in practice).</summary>
    public static bool MatchSegment(string pattern, string text, bool ignoreCase)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// The file operations the host performs on outputs, behind a seam so tests can make writes fail part-way
/// (a full disk) and check that nothing truncated is left behind.
/// </summary>
internal interface IRecipeFileSystem
{
    /// <summary>Creates a new, uniquely named temporary file in <paramref name="directory"/> (same volume as the final file).</summary>
    Stream CreateTemp(string directory, string finalName, out string tempPath);

    /// <summary>Replaces <paramref name="destination"/> with <paramref name="source"/> in one rename.</summary>
    void Move(string source, string destination);

    void DeleteIfExists(string path);

    bool FileExists(string path);

    DateTime LastWriteUtc(string path);

    void CreateDirectory(string path);

    /// <summary>Reads at most <paramref name="maxBytes"/>; a longer file is an error, not a truncated read.</summary>
    byte[] ReadBounded(string path, long maxBytes);
}

internal sealed class RecipeFileSystem : IRecipeFileSystem
{
    public static RecipeFileSystem Instance { get; } = new();

    public Stream CreateTemp(string directory, string finalName, out string tempPath)
    {
        // Leading dot and .tmp suffix: hidden on Unix, and never matched by image globs if a crash leaves one behind.
        // The writer's process id lets a later run tell a dead writer's leftovers from a live run's files.
        tempPath = Path.Combine(directory, StagingFiles.Name(finalName, Environment.ProcessId));
        return new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024);
    }

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void DeleteIfExists(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Cleanup after a failure must not hide the failure itself.
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public DateTime LastWriteUtc(string path) => File.GetLastWriteTimeUtc(path);

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public byte[] ReadBounded(string path, long maxBytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (fs.Length > maxBytes)
            throw new Core.SegInputException(path, $"is {fs.Length} bytes; the limit is {maxBytes}");
        var buffer = new byte[fs.Length];
        fs.ReadExactly(buffer);
        return buffer;
    }
}

/// <summary>Names of output staging files, and the sweep that removes those a killed run left behind.</summary>
internal static partial class StagingFiles
{
    public static string Name(string finalName, int processId) => $".{finalName}.{processId}-{Guid.NewGuid():N}.tmp";

    [System.Text.RegularExpressions.GeneratedRegex(@"^\..+\.(\d{1,10})-[0-9a-f]{32}\.tmp$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();

    /// <summary>
    /// Deletes staging files under <paramref name="outDir"/> whose writing process is gone. Files of live processes
    /// (another shard writing to the same folder) stay; so does anything that does not look like a staging file.
    /// Returns the number deleted.
    /// </summary>
    public static int SweepStale(string outDir, Func<int, bool>? isAlive = null)
    {
        if (!Directory.Exists(outDir)) return 0;
        isAlive ??= IsProcessAlive;
        int deleted = 0;
        IEnumerable<string> files;
        try { files = Directory.EnumerateFiles(outDir, ".*.tmp", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var path in files)
        {
            var m = Pattern().Match(Path.GetFileName(path));
            if (!m.Success || !int.TryParse(m.Groups[1].ValueSpan, out int pid)) continue;
            if (pid == Environment.ProcessId || isAlive(pid)) continue;
            try { File.Delete(path); deleted++; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* left for a later sweep */ }
        }
        return deleted;
    }

    private static bool IsProcessAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }          // no such process
        catch (InvalidOperationException) { return false; }
        catch (System.ComponentModel.Win32Exception) { return true; } // exists but not ours to inspect: keep its files
    }
}

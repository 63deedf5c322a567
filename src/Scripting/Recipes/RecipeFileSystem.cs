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
        tempPath = Path.Combine(directory, $".{finalName}.{Guid.NewGuid():N}.tmp");
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

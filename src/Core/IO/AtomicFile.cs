namespace SegPlugins.Core.IO;

/// <summary>
/// Writes files so that a reader never sees a partial one: the content goes to a temp file in the same folder,
/// is flushed to disk, then renamed over the target. A failure removes the temp file and leaves the target untouched.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Prefix of temp files, so that interrupted runs can recognise and clean their leftovers.</summary>
    public const string TempPrefix = ".segtmp-";

    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new SegInputException(path, $"output folder {dir} does not exist");
        string temp = Path.Combine(dir, TempPrefix + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temp);
            if (e is SegException or OperationCanceledException) throw;
            if (e is IOException or UnauthorizedAccessException)
                throw new SegInputException(path, $"cannot be written ({e.Message})", e);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    private static void TryDelete(string path)
    {
        try { if (File.Exists(path)) File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

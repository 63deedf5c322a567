using SegPlugins.Core;

namespace SegPlugins.Scripting.Files;

/// <summary>
/// The command's own outputs (bench reports, the recipe cache) written so that no reader sees a partial file: a temp
/// file in the same folder, flushed, then renamed over the target; a failure removes the temp file.
/// </summary>
internal static class AtomicWrite
{
    /// <summary>Writes <paramref name="bytes"/>; I/O errors propagate as they are.</summary>
    public static void Bytes(string path, ReadOnlySpan<byte> bytes)
    {
        string tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>Writes UTF-8 text to a file the user named; an I/O error becomes a message naming the file.</summary>
    public static void Text(string path, string text)
    {
        try { Bytes(path, System.Text.Encoding.UTF8.GetBytes(text)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegInputException(path, $"cannot be written ({e.Message})", e);
        }
    }
}

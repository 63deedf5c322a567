namespace SegPlugins.Core.IO;

/// <summary>Reads small text inputs (JSON sidecars, RLE and polygon files) with a size bound checked before reading.</summary>
public static class TextFile
{
    /// <summary>Default bound: text inputs of the product are small; a larger file is refused, not read.</summary>
    public const long DefaultMaxBytes = 64L << 20;

    public static string Read(string path, long maxBytes = DefaultMaxBytes)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new SegInputException(path, "file not found");
            if (info.Length > maxBytes) throw new SegInputException(path, $"is {info.Length:N0} bytes; the limit for this kind of file is {maxBytes:N0}");
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegInputException(path, $"cannot be read: {e.Message}", e);
        }
    }
}

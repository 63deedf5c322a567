namespace SegPlugins.Core.IO;

/// <summary>Reads small text inputs (JSON sidecars, RLE and polygon files) with a size bound checked before reading.</summary>
internal static class TextFile
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
            // The length is checked again while reading: a file that grows after the check is still cut off at the bound.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new StreamReader(stream, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[Math.Min(maxBytes + 1, 1 << 16)];
            var text = new System.Text.StringBuilder((int)Math.Min(info.Length, int.MaxValue / 2));
            int n;
            while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                text.Append(buffer, 0, n);
                if (stream.Position > maxBytes) throw new SegInputException(path, $"grew past the limit of {maxBytes:N0} bytes while being read");
            }
            return text.ToString();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegInputException(path, $"cannot be read: {e.Message}", e);
        }
    }
}

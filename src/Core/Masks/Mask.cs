namespace SegPlugins.Core.Masks;

/// <summary>
/// A hard selection: one byte per pixel, 0 (outside) or 255 (inside), row-major, stride = width.
/// </summary>
public sealed class Mask
{
    public const byte On = 255;
    public const byte Off = 0;

    public Mask(int width, int height)
    {
        MaskChecks.Size(width, height, "mask");
        Width = width;
        Height = height;
        Data = new byte[checked(width * height)];
    }

    /// <summary>Wraps <paramref name="data"/> (width*height bytes, each 0 or 255) without copying.</summary>
    public Mask(int width, int height, byte[] data)
    {
        MaskChecks.Size(width, height, "mask");
        if (data.Length != (long)width * height)
            throw new SegArgumentException("mask", $"data has {data.Length} bytes, expected {width}x{height} = {(long)width * height}");
        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Data { get; }

    public Span<byte> Row(int y) => Data.AsSpan(y * Width, Width);
    public bool this[int x, int y] => Data[y * Width + x] != 0;

    /// <summary>Number of selected pixels.</summary>
    public long Area()
    {
        long n = 0;
        foreach (byte b in Data) if (b != 0) n++;
        return n;
    }

    public bool IsEmpty => Data.AsSpan().IndexOfAnyExcept((byte)0) < 0;

    public Mask Clone() => new(Width, Height, (byte[])Data.Clone());
}

internal static class MaskChecks
{
    public static void Size(int width, int height, string what)
    {
        if (width <= 0 || height <= 0)
            throw new SegArgumentException(what, $"size must be at least 1x1, got {width}x{height}");
        if ((long)width * height > Array.MaxLength)
            throw new SegArgumentException(what, $"{width}x{height} is too large for one buffer");
    }

    public static void Length(long length, int width, int height, string what)
    {
        if (length != (long)width * height)
            throw new SegArgumentException(what, $"has {length} values, expected {width}x{height} = {(long)width * height}");
    }

    public static void SameSize(int w1, int h1, int w2, int h2, string a, string b)
    {
        if (w1 != w2 || h1 != h2)
            throw new SegArgumentException(b, $"is {w2}x{h2} but {a} is {w1}x{h1}; they must be the same size");
    }
}

using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// Where alpha is known and where it is to be solved: one byte per pixel, row-major, stride = width,
/// <see cref="Background"/> (0), <see cref="Unknown"/> (128) or <see cref="Foreground"/> (255).
/// </summary>
public sealed class Trimap
{
    public const byte Background = 0;
    public const byte Unknown = 128;
    public const byte Foreground = 255;

    /// <summary>Allocates an all-background trimap.</summary>
    public Trimap(int width, int height)
    {
        MaskChecks.Size(width, height, "trimap");
        Width = width;
        Height = height;
        Data = new byte[width * height];
    }

    /// <summary>
    /// Wraps <paramref name="data"/> (width*height bytes) without copying; every value must be 0, 128 or 255.
    /// <paramref name="source"/> names the data in errors (a file path, or "trimap").
    /// </summary>
    public Trimap(int width, int height, byte[] data, string source = "trimap")
    {
        MaskChecks.Size(width, height, source);
        MaskChecks.Length(data.Length, width, height, source);
        int bad = data.AsSpan().IndexOfAnyExcept(Background, Unknown, Foreground);
        if (bad >= 0)
            throw new SegArgumentException(source, $"value {data[bad]} at ({bad % width},{bad / width}) is not a trimap value; expected 0 (background), 128 (unknown) or 255 (foreground)");
        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Data { get; }
    public Span<byte> Row(int y) => Data.AsSpan(y * Width, Width);

    /// <summary>Number of unknown (128) pixels.</summary>
    public long UnknownCount()
    {
        long n = 0;
        foreach (byte b in Data) if (b == Unknown) n++;
        return n;
    }

    /// <summary>The trimap of a hard mask: everything known (selected = foreground).</summary>
    public static Trimap FromMask(Mask mask) => new(mask.Width, mask.Height, (byte[])mask.Data.Clone());

    public Trimap Clone() => new(Width, Height, (byte[])Data.Clone());
}

using System.Runtime.InteropServices;

namespace SegPlugins.Core.Imaging;

/// <summary>
/// An 8-bit BGRA image (straight, not premultiplied, alpha), row-major with a stride in bytes.
/// BGRA is the layout of Paint.NET surfaces and of most editors, so hosts wrap their pixels without converting.
/// </summary>
public sealed class BgraImage
{
    public const int BytesPerPixel = 4;

    /// <summary>Allocates a cleared image.</summary>
    public BgraImage(int width, int height)
        : this(width, height, new byte[checked((long)width * height * BytesPerPixel) is var n && n <= Array.MaxLength ? (int)n : throw new SegArgumentException(nameof(width), $"{width}x{height} is too large for one buffer")], width * BytesPerPixel)
    {
    }

    /// <summary>Wraps existing pixels without copying. <paramref name="stride"/> is in bytes.</summary>
    public BgraImage(int width, int height, byte[] pixels, int stride)
    {
        if (width <= 0 || height <= 0)
            throw new SegArgumentException("image", $"size must be at least 1x1, got {width}x{height}");
        if (stride < width * BytesPerPixel)
            throw new SegArgumentException(nameof(stride), $"must be at least width*4 = {width * BytesPerPixel}, got {stride}");
        if ((long)stride * (height - 1) + (long)width * BytesPerPixel > pixels.Length)
            throw new SegArgumentException(nameof(pixels), $"buffer of {pixels.Length} bytes is too small for {width}x{height} with stride {stride}");
        Width = width;
        Height = height;
        Pixels = pixels;
        Stride = stride;
    }

    public int Width { get; }
    public int Height { get; }
    public int Stride { get; }
    public byte[] Pixels { get; }
    public long PixelCount => (long)Width * Height;

    /// <summary>One row of pixels, <c>Width*4</c> bytes, B,G,R,A.</summary>
    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Width * BytesPerPixel);

    /// <summary>One row as packed 32-bit pixels (little-endian BGRA).</summary>
    public Span<uint> RowUInt32(int y) => MemoryMarshal.Cast<byte, uint>(Row(y));

    public BgraImage Clone()
    {
        var copy = new BgraImage(Width, Height);
        for (int y = 0; y < Height; y++) Row(y).CopyTo(copy.Row(y));
        return copy;
    }
}

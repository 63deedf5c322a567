using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SegPlugins.Core.IO;

namespace SegPlugins.Core.Imaging;

/// <summary>Limits applied before an image is decoded.</summary>
public sealed record ImageLoadOptions
{
    /// <summary>Largest accepted width*height. The default (100 MP) covers any camera; larger files are refused before decoding.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Largest accepted width or height.</summary>
    public int MaxDimension { get; init; } = 65_535;

    /// <summary>What a refusal names as the source of <see cref="MaxPixels"/> (e.g. the command-line option that set it).</summary>
    public string LimitName { get; init; } = "ImageLoadOptions.MaxPixels";

    public static ImageLoadOptions Default { get; } = new();
}

/// <summary>
/// Image files in and out. Only PNG, JPEG and BMP are decoded: the image library's other decoders (TIFF among them)
/// have known weaknesses with crafted files, so they are never registered. Dimensions are checked from the header
/// before any pixel buffer is allocated.
/// </summary>
public static class ImageIO
{
    // A configuration that knows only the three formats we accept. Its buffers are not pooled: a decoded photo is
    // copied into a BgraImage at once, and a pool would keep the decoder's buffers for the rest of the process
    // (measured: 12 MP one-shot select peak RSS 619 -> 559 MB, docs/performance.md, "Memory").
    internal static readonly Configuration Formats = new(new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule())
    {
        MemoryAllocator = SixLabors.ImageSharp.Memory.MemoryAllocator.Create(new SixLabors.ImageSharp.Memory.MemoryAllocatorOptions { MaximumPoolSizeMegabytes = 0 }),
    };

    public static BgraImage Load(string path, ImageLoadOptions? options = null)
    {
        if (!File.Exists(path))
            throw new SegInputException(path, "file not found");
        using var stream = OpenRead(path);
        return Load(stream, path, options);
    }

    /// <summary>Decodes an image from a stream; <paramref name="name"/> is used in error messages.</summary>
    public static BgraImage Load(Stream stream, string name, ImageLoadOptions? options = null)
    {
        options ??= ImageLoadOptions.Default;
        stream = Seekable(stream);
        long start = stream.Position;
        var format = CheckFormat(stream, name);
        // The library's JPEG and BMP header readers already fail on some malformed headers; PNG is walked after the
        // size check so that an oversized image is refused for its size first.
        if (format != Format.Png) stream = CheckStructure(stream, ref start, format, name, (w, h) => CheckDimensions(name, w, h, options));
        stream.Position = start;

        IImageInfo? info;
        try { info = Image.Identify(Formats, stream); }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new SegInputException(name, $"not a readable PNG, JPEG or BMP file ({e.Message})");
        }
        if (info is null)
            throw new SegInputException(name, "unknown image format; expected PNG, JPEG or BMP");
        CheckDimensions(name, info.Width, info.Height, options);
        CheckComplete(stream, start, format, name);
        if (format == Format.Png) CheckStructure(stream, ref start, format, name);

        stream.Position = start;
        try
        {
            using var image = Image.Load<Bgra32>(Formats, stream);
            CheckDimensions(name, image.Width, image.Height, options);
            var result = new BgraImage(image.Width, image.Height);
            image.ProcessPixelRows(accessor =>
            {
                for (int y = 0; y < accessor.Height; y++)
                    MemoryMarshal.AsBytes(accessor.GetRowSpan(y)).CopyTo(result.Row(y));
            });
            return result;
        }
        catch (SegException) { throw; }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new SegInputException(name, $"corrupt or truncated image ({e.Message})");
        }
    }

    /// <summary>The checks read the header more than once, so a forward-only stream is buffered first.</summary>
    internal static Stream Seekable(Stream stream)
    {
        if (stream.CanSeek) return stream;
        var ms = new MemoryStream();
        stream.CopyTo(ms);
        ms.Position = 0;
        return ms;
    }

    /// <summary>
    /// The exceptions the image library throws on malformed files. They are turned into an error naming the file
    /// at this boundary; failures the library does not anticipate (null references, division by zero) are kept
    /// out by the structure checks that run before it.
    /// </summary>
    internal static bool IsDecoderFailure(Exception e) =>
        e is ImageFormatException or InvalidImageContentException or UnknownImageFormatException or NotSupportedException or EndOfStreamException
            or IndexOutOfRangeException or ArgumentException or InvalidOperationException or OverflowException or SixLabors.ImageSharp.Memory.InvalidMemoryOperationException;

    /// <summary>Reads only the header: (width, height), after the same format checks as <see cref="Load(string, ImageLoadOptions?)"/>.</summary>
    public static (int Width, int Height) Identify(string path)
    {
        if (!File.Exists(path)) throw new SegInputException(path, "file not found");
        using var file = OpenRead(path);
        long start = 0;
        var stream = CheckStructure(file, ref start, CheckFormat(file, path), path);
        stream.Position = start;
        IImageInfo? info;
        try { info = Image.Identify(Formats, stream); }
        catch (Exception e) { throw new SegInputException(path, $"not a readable PNG, JPEG or BMP file ({e.Message})"); }
        if (info is null) throw new SegInputException(path, "unknown image format; expected PNG, JPEG or BMP");
        return (info.Width, info.Height);
    }

    /// <summary>
    /// The format and completeness checks of <see cref="Load(string, ImageLoadOptions?)"/> without decoding, for
    /// other readers of image files (mask PNGs).
    /// </summary>
    internal static void CheckWhole(string path)
    {
        if (!File.Exists(path)) throw new SegInputException(path, "file not found");
        using var stream = OpenRead(path);
        CheckWhole(stream, path);
    }

    /// <summary>The same checks on a seekable stream, from its current position; the position is left anywhere.</summary>
    /// <remarks><c>declared</c> is called with the size the header declares before completeness and structure are judged,
    /// so that a caller's size limit names an oversized file for its size.</remarks>
    internal static void CheckWhole(Stream stream, string name, Action<int, int>? declared = null)
    {
        long start = stream.Position;
        var format = CheckFormat(stream, name);
        if (declared is not null)
        {
            CheckStructure(stream, ref start, format, name, declared);
            CheckComplete(stream, start, format, name);
            return;
        }
        CheckComplete(stream, start, format, name);
        CheckStructure(stream, ref start, format, name);
    }

    /// <summary>Writes an 8-bit RGBA PNG atomically (temp file, then rename).</summary>
    public static void SavePng(BgraImage image, string path)
    {
        AtomicFile.Write(path, stream => EncodePng(image, stream));
    }

    /// <summary>Writes a BGRA image as PNG to a stream.</summary>
    public static void EncodePng(BgraImage image, Stream stream) => EncodePng(image, stream, PngCompression.Default);

    /// <summary>Writes a BGRA image as PNG to a stream, compressed as <paramref name="compression"/> says.</summary>
    public static void EncodePng(BgraImage image, Stream stream, PngCompression compression)
    {
        using var img = new Image<Bgra32>(Formats, image.Width, image.Height);
        img.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
                image.Row(y).CopyTo(MemoryMarshal.AsBytes(accessor.GetRowSpan(y)));
        });
        img.Save(stream, new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8, CompressionLevel = Level(compression) });
    }

    /// <summary>Writes an 8-bit grayscale PNG (a mask) atomically.</summary>
    public static void SaveGrayPng(ReadOnlySpan<byte> pixels, int width, int height, string path)
    {
        var copy = pixels.ToArray();
        AtomicFile.Write(path, stream => EncodeGrayPng(copy, width, height, stream));
    }

    /// <summary>Writes one byte per pixel (a mask) as an 8-bit grayscale PNG to a stream.</summary>
    public static void EncodeGrayPng(ReadOnlySpan<byte> pixels, int width, int height, Stream stream) =>
        EncodeGrayPng(pixels, width, height, stream, PngCompression.Default);

    /// <summary>Writes one byte per pixel (a mask) as an 8-bit grayscale PNG to a stream, compressed as <paramref name="compression"/> says.</summary>
    public static void EncodeGrayPng(ReadOnlySpan<byte> pixels, int width, int height, Stream stream, PngCompression compression)
    {
        using var img = Image.LoadPixelData<L8>(Formats, pixels, width, height);
        img.Save(stream, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8, CompressionLevel = Level(compression) });
    }

    private static PngCompressionLevel Level(PngCompression compression) => compression switch
    {
        PngCompression.Default => PngCompressionLevel.DefaultCompression,
        PngCompression.Fast => PngCompressionLevel.BestSpeed,
        _ => throw new SegArgumentException(nameof(compression), $"unknown PNG compression {(int)compression}"),
    };

    /// <summary>Writes a JPEG atomically (alpha is dropped).</summary>
    public static void SaveJpeg(BgraImage image, string path, int quality = 92)
    {
        AtomicFile.Write(path, stream =>
        {
            using var img = new Image<Bgra32>(Formats, image.Width, image.Height);
            img.ProcessPixelRows(accessor =>
            {
                for (int y = 0; y < accessor.Height; y++)
                    image.Row(y).CopyTo(MemoryMarshal.AsBytes(accessor.GetRowSpan(y)));
            });
            img.Save(stream, new JpegEncoder { Quality = quality });
        });
    }

    private static FileStream OpenRead(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SegInputException(path, $"cannot be opened ({e.Message})");
        }
    }

    private static void CheckDimensions(string name, int width, int height, ImageLoadOptions options)
    {
        if (width <= 0 || height <= 0)
            throw new SegInputException(name, $"image has zero size ({width}x{height})");
        if (width > options.MaxDimension || height > options.MaxDimension)
            throw new SegInputException(name, $"image is {width}x{height}; the largest side accepted is {options.MaxDimension} px");
        if ((long)width * height > options.MaxPixels)
            throw new SegInputException(name, $"image is {width}x{height} = {(long)width * height / 1e6:0.##} MP, over the limit of {options.MaxPixels / 1e6:0.##} MP ({options.LimitName})");
    }

    private enum Format { Png, Jpeg, Bmp }

    /// <summary>
    /// Walks the file's structure before the image library sees it. Returns the stream to decode: the same one, or
    /// for a JPEG with stray bytes between its marker segments (which libjpeg skips with a warning, and which some
    /// cameras and editors write) a copy without them, from position 0 (<paramref name="start"/> is updated).
    /// </summary>
    private static Stream CheckStructure(Stream stream, ref long start, Format format, string name, Action<int, int>? declared = null)
    {
        if (format == Format.Png) Internal.ImageHeaders.CheckPng(stream, start, name, declared);
        else if (format == Format.Bmp) Internal.ImageHeaders.CheckBmp(stream, start, name, declared);
        else if (format == Format.Jpeg)
        {
            var stray = new List<(long At, long Length)>();
            Internal.ImageHeaders.CheckJpeg(stream, start, name, declared, stray);
            if (stray.Count == 0) return stream;
            var clean = new MemoryStream(checked((int)(stream.Length - start)));
            long pos = start;
            foreach (var (at, length) in stray)
            {
                Copy(stream, pos, at - pos, clean);
                pos = at + length;
            }
            Copy(stream, pos, stream.Length - pos, clean);
            clean.Position = 0;
            start = 0;
            Internal.ImageHeaders.CheckJpeg(clean, 0, name); // what the decoder gets has no stray bytes left
            return clean;
        }
        return stream;
    }

    private static void Copy(Stream from, long at, long count, Stream to)
    {
        from.Position = at;
        var buffer = new byte[(int)Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int n = from.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n <= 0) throw new EndOfStreamException();
            to.Write(buffer, 0, n);
            count -= n;
        }
    }

    /// <summary>
    /// The decoder fills a cut-off file with blank rows without complaint; a selection computed on such an image
    /// would be silently wrong, so a PNG must end with its IEND chunk and a JPEG must have its end-of-image marker.
    /// </summary>
    private static void CheckComplete(Stream stream, long start, Format format, string name)
    {
        long length = stream.Length - start;
        if (format == Format.Png)
        {
            Span<byte> tail = stackalloc byte[12];
            if (length < 8 + 25 + 12) throw new SegInputException(name, "PNG file is truncated (too short to hold an image)");
            stream.Position = stream.Length - 12;
            stream.ReadExactly(tail);
            if (!tail.Slice(4, 4).SequenceEqual("IEND"u8))
                throw new SegInputException(name, "PNG file is truncated or corrupt (it does not end with an IEND chunk)");
        }
        else if (format == Format.Jpeg)
        {
            // Entropy-coded data cannot contain FF D9, so its presence near the end means the image was written whole.
            int n = (int)Math.Min(length, 64 * 1024);
            var tail = new byte[n];
            stream.Position = stream.Length - n;
            stream.ReadExactly(tail);
            bool eoi = false;
            for (int i = n - 2; i >= 0 && !eoi; i--) eoi = tail[i] == 0xFF && tail[i + 1] == 0xD9;
            if (!eoi) throw new SegInputException(name, "JPEG file is truncated (no end-of-image marker)");
        }
    }

    /// <summary>Names the format from its magic bytes so that refused formats get a precise message.</summary>
    private static Format CheckFormat(Stream stream, string name)
    {
        Span<byte> head = stackalloc byte[12];
        int n = 0;
        while (n < head.Length)
        {
            int r = stream.Read(head[n..]);
            if (r == 0) break;
            n += r;
        }
        head = head[..n];
        if (n == 0)
            throw new SegInputException(name, "file is empty; expected a PNG, JPEG or BMP image");
        if (n >= 4 && ((head[0] == 'I' && head[1] == 'I' && head[2] == 42 && head[3] == 0) || (head[0] == 'M' && head[1] == 'M' && head[2] == 0 && head[3] == 42)))
            throw new SegInputException(name, "TIFF images are not accepted; convert it to PNG, JPEG or BMP");
        bool png = n >= 8 && head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G';
        bool jpeg = n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF;
        bool bmp = n >= 2 && head[0] == 'B' && head[1] == 'M';
        if (!png && !jpeg && !bmp)
            throw new SegInputException(name, "unsupported image format; expected PNG, JPEG or BMP");
        return png ? Format.Png : jpeg ? Format.Jpeg : Format.Bmp;
    }
}

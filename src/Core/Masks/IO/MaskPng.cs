using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Masks.IO;

/// <summary>Which part of a PNG holds the mask.</summary>
public enum MaskChannel
{
    /// <summary>The alpha channel when the PNG has one, otherwise the grey level.</summary>
    Auto,
    /// <summary>The grey level (colour PNGs are converted to luminance).</summary>
    Gray,
    /// <summary>The alpha channel (opaque PNGs read as fully selected).</summary>
    Alpha,
}

/// <summary>
/// Masks as PNG files: 8-bit greyscale (0 = outside, 255 = inside, soft values in between) or the alpha channel of
/// an RGBA PNG. Only PNG is accepted. Dimensions are checked before decoding so a hostile file cannot exhaust memory.
/// </summary>
public static class MaskPng
{
    public const double DefaultMaxMegapixels = 100;

    private static readonly Configuration PngOnly = new(new PngConfigurationModule());

    /// <summary>Loads a hard mask: alpha or grey &gt;= <paramref name="threshold"/> is selected.</summary>
    public static Mask LoadMask(string path, MaskChannel channel = MaskChannel.Auto, byte threshold = 128, double maxMegapixels = DefaultMaxMegapixels)
    {
        if (threshold == 0) throw new SegArgumentException(nameof(threshold), "must be 1..255; 0 would select every pixel");
        return LoadSoftMask(path, channel, maxMegapixels).ToMask(threshold);
    }

    public static SoftMask LoadSoftMask(string path, MaskChannel channel = MaskChannel.Auto, double maxMegapixels = DefaultMaxMegapixels)
    {
        if (!(maxMegapixels > 0)) throw new SegArgumentException(nameof(maxMegapixels), $"must be positive, got {maxMegapixels}");
        if (!File.Exists(path)) throw new SegInputException(path, "file not found");
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new SegInputException(path, $"cannot be opened ({e.Message})", e); }
        using (stream) return LoadSoftMask(stream, path, channel, maxMegapixels);
    }

    /// <summary>Loads a hard mask from a stream; <paramref name="name"/> names the input in errors.</summary>
    public static Mask LoadMask(Stream stream, string name, MaskChannel channel = MaskChannel.Auto, byte threshold = 128, double maxMegapixels = DefaultMaxMegapixels)
    {
        if (threshold == 0) throw new SegArgumentException(nameof(threshold), "must be 1..255; 0 would select every pixel");
        return LoadSoftMask(stream, name, channel, maxMegapixels).ToMask(threshold);
    }

    /// <summary>Loads a soft mask from a stream; <paramref name="name"/> names the input in errors.</summary>
    private static void CheckSize(string name, int width, int height, double maxMegapixels)
    {
        if ((double)width * height > maxMegapixels * 1e6)
            throw new SegInputException(name, $"is {width}x{height} = {(double)width * height / 1e6:0.#} MP, over the limit of {maxMegapixels} MP");
    }

    public static SoftMask LoadSoftMask(Stream stream, string name, MaskChannel channel = MaskChannel.Auto, double maxMegapixels = DefaultMaxMegapixels)
    {
        if (!(maxMegapixels > 0)) throw new SegArgumentException(nameof(maxMegapixels), $"must be positive, got {maxMegapixels}");
        stream = ImageIO.Seekable(stream);
        long start = stream.Position;
        // Refuses truncated files, which the decoder would silently pad; the size limit is judged first, from the header.
        ImageIO.CheckWhole(stream, name, (w, h) => CheckSize(name, w, h, maxMegapixels));
        stream.Position = start;
        IImageInfo? info;
        IImageFormat? format;
        try { info = Image.Identify(PngOnly, stream, out format); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || ImageIO.IsDecoderFailure(e))
        { throw new SegInputException(name, $"not a readable PNG: {e.Message}", e); }
        if (info is null || format is not PngFormat)
            throw new SegInputException(name, "not a PNG file; masks are read from 8-bit greyscale or RGBA PNG");
        CheckSize(name, info.Width, info.Height, maxMegapixels);
        var colorType = info.Metadata.GetPngMetadata().ColorType;
        bool hasAlpha = colorType is PngColorType.RgbWithAlpha or PngColorType.GrayscaleWithAlpha
            || (colorType is PngColorType.Palette or PngColorType.Rgb or PngColorType.Grayscale && info.Metadata.GetPngMetadata().HasTransparency);
        bool useAlpha = channel == MaskChannel.Alpha || (channel == MaskChannel.Auto && hasAlpha);
        try
        {
            var m = new SoftMask(info.Width, info.Height);
            stream.Position = start;
            if (useAlpha)
            {
                using var img = Image.Load<Rgba32>(PngOnly, stream);
                img.ProcessPixelRows(acc =>
                {
                    for (int y = 0; y < acc.Height; y++)
                    {
                        var src = acc.GetRowSpan(y);
                        var dst = m.Row(y);
                        for (int x = 0; x < src.Length; x++) dst[x] = src[x].A;
                    }
                });
            }
            else
            {
                using var img = Image.Load<L8>(PngOnly, stream);
                img.ProcessPixelRows(acc =>
                {
                    for (int y = 0; y < acc.Height; y++)
                        System.Runtime.InteropServices.MemoryMarshal.AsBytes(acc.GetRowSpan(y)).CopyTo(m.Row(y));
                });
            }
            return m;
        }
        catch (Exception e) when (e is IOException || ImageIO.IsDecoderFailure(e))
        { throw new SegInputException(name, $"PNG cannot be decoded: {e.Message}", e); }
    }

    /// <summary>Saves as 8-bit greyscale PNG (0 / 255), atomically.</summary>
    public static void Save(Mask mask, string path) => SaveGray(mask.Data, mask.Width, mask.Height, path);

    /// <summary>Saves alpha as 8-bit greyscale PNG, atomically.</summary>
    public static void Save(SoftMask mask, string path) => SaveGray(mask.Data, mask.Width, mask.Height, path);

    public static void SaveAsAlpha(Mask mask, string path, BgraImage? colour = null) => SaveAsAlpha(mask.ToSoftMask(), path, colour);

    /// <summary>
    /// Saves an RGBA PNG whose alpha is the mask, atomically. The colour comes from <paramref name="colour"/>
    /// (its alpha is ignored) or is white.
    /// </summary>
    public static void SaveAsAlpha(SoftMask mask, string path, BgraImage? colour = null)
    {
        if (colour is not null) MaskChecks.SameSize(mask.Width, mask.Height, colour.Width, colour.Height, "mask", "colour image");
        using var img = new Image<Rgba32>(mask.Width, mask.Height);
        img.ProcessPixelRows(acc =>
        {
            for (int y = 0; y < acc.Height; y++)
            {
                var dst = acc.GetRowSpan(y);
                var a = mask.Row(y);
                if (colour is null)
                    for (int x = 0; x < dst.Length; x++) dst[x] = new Rgba32(255, 255, 255, a[x]);
                else
                {
                    var c = colour.Row(y);
                    for (int x = 0; x < dst.Length; x++) dst[x] = new Rgba32(c[x * 4 + 2], c[x * 4 + 1], c[x * 4], a[x]);
                }
            }
        });
        var enc = new PngEncoder { ColorType = PngColorType.RgbWithAlpha, BitDepth = PngBitDepth.Bit8 };
        Core.IO.AtomicFile.Write(path, s => img.SaveAsPng(s, enc));
    }

    private static void SaveGray(byte[] data, int w, int h, string path)
    {
        using var img = Image.LoadPixelData<L8>(data, w, h);
        var enc = new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 };
        Core.IO.AtomicFile.Write(path, s => img.SaveAsPng(s, enc));
    }
}

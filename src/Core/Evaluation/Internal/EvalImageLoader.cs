using System.Runtime.InteropServices;
using SegPlugins.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace SegPlugins.Core.Evaluation.Internal;

/// <summary>
/// Reads dataset files. Kept in one place so that the engine's own image loader can take over without touching
/// the dataset code. Only PNG, JPEG and BMP decoders are registered: the other formats of the imaging library
/// are not needed for evaluation data and only widen the attack surface.
/// </summary>
internal static class EvalImageLoader
{
    private static readonly Configuration Formats = new(new PngConfigurationModule(), new JpegConfigurationModule(), new BmpConfigurationModule());

    public static BgraImage LoadBgra(string path)
    {
        using var image = Open<Bgra32>(path);
        var result = new BgraImage(image.Width, image.Height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                MemoryMarshal.AsBytes(rows.GetRowSpan(y)).CopyTo(result.Row(y));
        });
        return result;
    }

    /// <summary>Reads an image as 8-bit grey (colour files are converted by luminance).</summary>
    public static (int Width, int Height, byte[] Grey) LoadGrey(string path)
    {
        using var image = Open<L8>(path);
        var grey = new byte[checked(image.Width * image.Height)];
        int w = image.Width;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                MemoryMarshal.AsBytes(rows.GetRowSpan(y)).CopyTo(grey.AsSpan(y * w, w));
        });
        return (image.Width, image.Height, grey);
    }

    private static Image<TPixel> Open<TPixel>(string path) where TPixel : unmanaged, IPixel<TPixel>
    {
        if (!File.Exists(path)) throw new SegInputException(path, "file not found");
        try
        {
            return Image.Load<TPixel>(Formats, path);
        }
        catch (UnknownImageFormatException e)
        {
            throw new SegInputException(path, "not a PNG, JPEG or BMP file", e);
        }
        catch (InvalidImageContentException e)
        {
            throw new SegInputException(path, $"corrupt image: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new SegInputException(path, $"unsupported image: {e.Message}", e);
        }
    }
}

using SegPlugins.Core;
using SegPlugins.Core.Imaging;

namespace SegPlugins.Evaluation.Internal;

/// <summary>Reads dataset files through the engine's image loader (PNG, JPEG, BMP; size limits; clear errors).</summary>
internal static class EvalImageLoader
{
    public static BgraImage LoadBgra(string path) => ImageIO.Load(path);

    /// <summary>
    /// Reads an image as 8-bit grey. Grey files (R = G = B) keep their exact values, which matters for the 128 of
    /// the ignore band; colour files are converted by Rec. 601 luma.
    /// </summary>
    public static (int Width, int Height, byte[] Grey) LoadGrey(string path)
    {
        var image = ImageIO.Load(path);
        int w = image.Width, h = image.Height;
        var grey = new byte[checked(w * h)];
        for (int y = 0; y < h; y++)
        {
            var row = image.Row(y);
            var dst = grey.AsSpan(y * w, w);
            for (int x = 0; x < w; x++)
            {
                byte b = row[4 * x], g = row[4 * x + 1], r = row[4 * x + 2];
                dst[x] = r == g && g == b ? g : (byte)((299 * r + 587 * g + 114 * b + 500) / 1000);
            }
        }
        return (w, h, grey);
    }
}

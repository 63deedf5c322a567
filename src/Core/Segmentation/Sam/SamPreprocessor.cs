using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>Turns a source image into SAM encoder input, exactly as the reference SamPredictor does.</summary>
public static class SamPreprocessor
{
    /// <summary>Per-channel (R,G,B) mean and std on the 0-255 scale, from the SAM reference (ImageNet statistics).</summary>
    public static ReadOnlySpan<float> PixelMean => [123.675f, 116.28f, 103.53f];
    public static ReadOnlySpan<float> PixelStd => [58.395f, 57.12f, 57.375f];

    /// <summary>The image resized to the longest side 1024 (Pillow-exact bilinear), as packed RGB bytes.</summary>
    public static byte[] ResizeToRgb(BgraImage image, SamTransform t) =>
        PilResize.ResizeBgraToRgb(image.Pixels, image.Width, image.Height, image.Stride, t.ResizedWidth, t.ResizedHeight);

    /// <summary>
    /// Fills <paramref name="chw"/> (3x1024x1024, planar R,G,B) with the normalised resized image and zero padding.
    /// </summary>
    public static void Normalize(ReadOnlySpan<byte> rgb, SamTransform t, Span<float> chw)
    {
        const int S = SamTransform.ModelSize;
        if (chw.Length < 3 * S * S) throw new ArgumentException("tensor buffer is smaller than 3x1024x1024", nameof(chw));
        chw[..(3 * S * S)].Clear();
        int w = t.ResizedWidth, h = t.ResizedHeight;
        float m0 = PixelMean[0], m1 = PixelMean[1], m2 = PixelMean[2];
        // Divide rather than multiply by 1/std: the reference divides, and the last bit matters for exact conformance.
        float s0 = PixelStd[0], s1 = PixelStd[1], s2 = PixelStd[2];
        for (int y = 0; y < h; y++)
        {
            var r = chw.Slice(y * S, w);
            var g = chw.Slice(S * S + y * S, w);
            var b = chw.Slice(2 * S * S + y * S, w);
            var src = rgb.Slice(y * w * 3, w * 3);
            for (int x = 0; x < w; x++)
            {
                r[x] = (src[3 * x] - m0) / s0;
                g[x] = (src[3 * x + 1] - m1) / s1;
                b[x] = (src[3 * x + 2] - m2) / s2;
            }
        }
    }
}

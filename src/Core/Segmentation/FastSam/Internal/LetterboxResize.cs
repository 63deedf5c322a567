using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Segmentation.FastSam.Internal;

/// <summary>
/// Bilinear resize (half-pixel centres, edge clamped, no antialias: the exporter's cv2 INTER_LINEAR) of a BGRA
/// image straight into the padded planar RGB tensor, /255, padding 114/255.
/// </summary>
internal static class LetterboxResize
{
    public static void Run(BgraImage image, Letterbox lb, Span<float> chw)
    {
        int s = lb.Size;
        int plane = s * s;
        chw.Slice(0, 3 * plane).Fill(Letterbox.Fill / 255f);
        var ax = new LogitUpscaler.Axis(image.Width, lb.NewWidth);
        var ay = new LogitUpscaler.Axis(image.Height, lb.NewHeight);
        var row0 = new float[image.Width * 3];
        var row1 = new float[image.Width * 3];
        var blend = new float[image.Width * 3];
        const float inv = 1f / 255f;
        for (int y = 0; y < lb.NewHeight; y++)
        {
            ToRgb(image.Row(ay.I0[y]), row0);
            ToRgb(image.Row(ay.I1[y]), row1);
            float wy = ay.W1[y], wy0 = 1f - wy;
            for (int i = 0; i < blend.Length; i++) blend[i] = wy0 * row0[i] + wy * row1[i];
            int o = (y + lb.PadTop) * s + lb.PadLeft;
            for (int x = 0; x < lb.NewWidth; x++)
            {
                int a = 3 * ax.I0[x], b = 3 * ax.I1[x];
                float wx = ax.W1[x], wx0 = 1f - wx;
                chw[o + x] = (wx0 * blend[a] + wx * blend[b]) * inv;
                chw[plane + o + x] = (wx0 * blend[a + 1] + wx * blend[b + 1]) * inv;
                chw[2 * plane + o + x] = (wx0 * blend[a + 2] + wx * blend[b + 2]) * inv;
            }
        }
    }

    private static void ToRgb(ReadOnlySpan<byte> bgra, Span<float> rgb)
    {
        for (int x = 0, i = 0; i < rgb.Length; x += 4, i += 3)
        {
            rgb[i] = bgra[x + 2];
            rgb[i + 1] = bgra[x + 1];
            rgb[i + 2] = bgra[x];
        }
    }
}

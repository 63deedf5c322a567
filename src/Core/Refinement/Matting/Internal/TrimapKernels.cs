using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>Per-pixel measures that shape a trimap made from a selection.</summary>
internal static class TrimapKernels
{
    /// <summary>
    /// Mean over a (2r+1)² window of |Y - mean3x3(Y)|, Y the Rec. 601 luminance on 0..255: how busy the image is at the
    /// pixel scale (hair, fur, foliage high; flat areas and single hard edges low).
    /// </summary>
    public static float[] FineTexture(BgraImage image, int radius)
    {
        int w = image.Width, h = image.Height;
        var y0 = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < w; x++) y0[y * w + x] = 0.114f * row[4 * x] + 0.587f * row[4 * x + 1] + 0.299f * row[4 * x + 2];
        }
        var local = BoxMean(y0, w, h, 1);
        for (int i = 0; i < local.Length; i++) local[i] = Math.Abs(y0[i] - local[i]);
        return BoxMean(local, w, h, radius);
    }

    /// <summary>Mean over a (2r+1)² window, clamped at the borders (the window shrinks), by running sums.</summary>
    public static float[] BoxMean(float[] src, int w, int h, int r)
    {
        var tmp = new float[src.Length];
        var dst = new float[src.Length];
        for (int y = 0; y < h; y++)
        {
            int o = y * w;
            double s = 0;
            int lo = 0, hi = -1;
            for (int x = 0; x < w; x++)
            {
                int a = Math.Max(0, x - r), b = Math.Min(w - 1, x + r);
                while (hi < b) s += src[o + ++hi];
                while (lo < a) s -= src[o + lo++];
                tmp[o + x] = (float)(s / (b - a + 1));
            }
        }
        var col = new double[w];
        int top = 0, bottom = -1;
        for (int y = 0; y < h; y++)
        {
            int a = Math.Max(0, y - r), b = Math.Min(h - 1, y + r);
            while (bottom < b) { bottom++; for (int x = 0; x < w; x++) col[x] += tmp[bottom * w + x]; }
            while (top < a) { for (int x = 0; x < w; x++) col[x] -= tmp[top * w + x]; top++; }
            float inv = 1f / (b - a + 1);
            for (int x = 0; x < w; x++) dst[y * w + x] = (float)col[x] * inv;
        }
        return dst;
    }
}

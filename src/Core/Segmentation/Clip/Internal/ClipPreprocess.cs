using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Segmentation.Clip.Internal;

/// <summary>
/// CLIP's image preprocessing: bicubic resize of the shortest side to 224 (Pillow's filter: a = -0.5, support
/// widened by the shrink factor, 8-bit rounding after each pass), centre crop 224x224, /255, then
/// (x - mean) / std per channel, planar RGB.
/// </summary>
internal static class ClipPreprocess
{
    public const int Size = 224;

    // CLIP's published normalisation constants (the original repository's preprocessing).
    public static ReadOnlySpan<float> Mean => [0.48145466f, 0.4578275f, 0.40821073f];
    public static ReadOnlySpan<float> Std => [0.26862954f, 0.26130258f, 0.27577711f];

    public static float[] ToTensor(BgraImage image)
    {
        int w = image.Width, h = image.Height;
        // torchvision's Resize(224): shortest side to 224, the other truncated.
        int ow, oh;
        if (w <= h) { ow = Size; oh = Math.Max(Size, (int)((long)Size * h / w)); }
        else { oh = Size; ow = Math.Max(Size, (int)((long)Size * w / h)); }
        var rgb = Bicubic(image, ow, oh);
        int left = (int)Math.Round((ow - Size) / 2.0, MidpointRounding.ToEven), top = (int)Math.Round((oh - Size) / 2.0, MidpointRounding.ToEven);
        var chw = new float[3 * Size * Size];
        var mean = Mean;
        var std = Std;
        for (int c = 0; c < 3; c++)
        {
            float m = mean[c], s = std[c];
            var plane = chw.AsSpan(c * Size * Size, Size * Size);
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                    plane[y * Size + x] = (rgb[((top + y) * ow + left + x) * 3 + c] / 255f - m) / s;
        }
        return chw;
    }

    /// <summary>Pillow-style bicubic resize of BGRA to packed RGB bytes.</summary>
    public static byte[] Bicubic(BgraImage image, int outW, int outH)
    {
        int w = image.Width, h = image.Height;
        var (xs, xn, xw, xk) = Taps(w, outW);
        var (ys, yn, yw, yk) = Taps(h, outH);
        var tmp = new byte[h * outW * 3];
        for (int y = 0; y < h; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < outW; x++)
            {
                float r = 0, g = 0, b = 0;
                for (int k = 0; k < xn[x]; k++)
                {
                    float wt = xw[x * xk + k];
                    int p = (xs[x] + k) * 4;
                    b += wt * row[p]; g += wt * row[p + 1]; r += wt * row[p + 2];
                }
                int o = (y * outW + x) * 3;
                tmp[o] = Clip8(r); tmp[o + 1] = Clip8(g); tmp[o + 2] = Clip8(b);
            }
        }
        var dst = new byte[outH * outW * 3];
        for (int y = 0; y < outH; y++)
            for (int i = 0; i < outW * 3; i++)
            {
                float v = 0;
                for (int k = 0; k < yn[y]; k++) v += yw[y * yk + k] * tmp[(ys[y] + k) * outW * 3 + i];
                dst[y * outW * 3 + i] = Clip8(v);
            }
        return dst;
    }

    private static byte Clip8(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);

    private static float Cubic(double x)
    {
        const double a = -0.5; // Pillow's bicubic
        x = Math.Abs(x);
        if (x < 1) return (float)(((a + 2) * x - (a + 3)) * x * x + 1);
        if (x < 2) return (float)((((x - 5) * x + 8) * x - 4) * a);
        return 0;
    }

    private static (int[] Start, int[] Count, float[] Weights, int K) Taps(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double fs = Math.Max(scale, 1.0);
        double support = 2.0 * fs;
        int k = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new float[outSize * k];
        var tmp = new double[k];
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)(center - support + 0.5));
            int hi = Math.Min(inSize, (int)(center + support + 0.5));
            double sum = 0;
            int n = hi - lo;
            for (int j = 0; j < n; j++) { tmp[j] = Cubic((j + lo - center + 0.5) / fs); sum += tmp[j]; }
            for (int j = 0; j < n; j++) weights[o * k + j] = (float)(sum != 0 ? tmp[j] / sum : 0);
            start[o] = lo;
            count[o] = n;
        }
        return (start, count, weights, k);
    }
}

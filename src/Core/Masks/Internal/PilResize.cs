namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Bilinear resampling of 8-bit images that gives the same bytes as Pillow's <c>Image.resize(..., BILINEAR)</c>,
/// which the reference SAM predictor uses. Pillow's filter is a triangle whose support grows with the shrink
/// factor (so shrinking averages, rather than samples), its weights are rounded to 22-bit fixed point, and it runs
/// a horizontal pass, rounds to 8 bits, then a vertical pass. Matching each of those steps matters: the encoder
/// sees slightly different pixels otherwise.
/// </summary>
internal static class PilResize
{
    private const int PrecisionBits = 32 - 8 - 2; // Pillow's fixed-point precision for 8-bit images

    /// <summary>Per-output-pixel taps: first source index, count, and fixed-point weights (ksize per output).</summary>
    internal readonly struct Taps
    {
        public Taps(int[] start, int[] count, int[] weights, int ksize) { Start = start; Count = count; Weights = weights; KSize = ksize; }
        public int[] Start { get; }
        public int[] Count { get; }
        public int[] Weights { get; }
        public int KSize { get; }
    }

    internal static Taps ComputeTaps(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = 1.0 * filterScale; // the bilinear (triangle) filter has support 1
        int ksize = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * ksize];
        var pre = new double[ksize];
        double invScale = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double ww = 0;
            for (int x = 0; x < xmax; x++)
            {
                double t = Math.Abs((x + xmin - center + 0.5) * invScale);
                double w = t < 1.0 ? 1.0 - t : 0.0;
                pre[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                double k = ww != 0.0 ? pre[x] / ww : pre[x];
                // Round half away from zero, as Pillow does when it converts weights to fixed point.
                weights[xx * ksize + x] = k < 0 ? (int)(-0.5 + k * (1 << PrecisionBits)) : (int)(0.5 + k * (1 << PrecisionBits));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Taps(start, count, weights, ksize);
    }

    private static byte Clip8(int v)
    {
        if (v >= (1 << PrecisionBits << 8)) return 255;
        if (v <= 0) return 0;
        return (byte)(v >> PrecisionBits);
    }

    /// <summary>
    /// Resizes a BGRA image to RGB (3 bytes per pixel, R first) of <paramref name="outWidth"/> x <paramref name="outHeight"/>.
    /// Alpha is ignored, as the reference converts to RGB before resizing.
    /// </summary>
    public static byte[] ResizeBgraToRgb(byte[] src, int width, int height, int stride, int outWidth, int outHeight)
    {
        // Horizontal pass into an RGB buffer of outWidth x height (skipped when the width is unchanged).
        byte[] horiz = new byte[outWidth * height * 3];
        if (outWidth == width)
        {
            Parallel.For(0, height, y =>
            {
                int s = y * stride, d = y * outWidth * 3;
                for (int x = 0; x < width; x++, s += 4, d += 3)
                {
                    horiz[d] = src[s + 2]; horiz[d + 1] = src[s + 1]; horiz[d + 2] = src[s];
                }
            });
        }
        else
        {
            var taps = ComputeTaps(width, outWidth);
            Parallel.For(0, height, y => HorizontalRow(src, y * stride, horiz, y * outWidth * 3, outWidth, taps));
        }
        if (outHeight == height) return horiz;

        var vt = ComputeTaps(height, outHeight);
        byte[] result = new byte[outWidth * outHeight * 3];
        int rowBytes = outWidth * 3;
        Parallel.For(0, outHeight, yy => VerticalRow(horiz, rowBytes, result, yy, vt));
        return result;
    }

    private static void HorizontalRow(byte[] src, int srcOffset, byte[] dst, int dstOffset, int outWidth, Taps taps)
    {
        int ksize = taps.KSize;
        var w = taps.Weights;
        for (int xx = 0; xx < outWidth; xx++)
        {
            int xmin = taps.Start[xx], n = taps.Count[xx], k0 = xx * ksize;
            int r = 1 << (PrecisionBits - 1), g = r, b = r;
            int p = srcOffset + xmin * 4;
            for (int x = 0; x < n; x++, p += 4)
            {
                int k = w[k0 + x];
                b += src[p] * k;
                g += src[p + 1] * k;
                r += src[p + 2] * k;
            }
            int d = dstOffset + xx * 3;
            dst[d] = Clip8(r);
            dst[d + 1] = Clip8(g);
            dst[d + 2] = Clip8(b);
        }
    }

    private static void VerticalRow(byte[] src, int rowBytes, byte[] dst, int yy, Taps taps)
    {
        int ymin = taps.Start[yy], n = taps.Count[yy], k0 = yy * taps.KSize;
        var acc = System.Buffers.ArrayPool<int>.Shared.Rent(rowBytes);
        try
        {
            var a = acc.AsSpan(0, rowBytes);
            a.Fill(1 << (PrecisionBits - 1));
            for (int y = 0; y < n; y++)
            {
                int k = taps.Weights[k0 + y];
                var row = src.AsSpan((ymin + y) * rowBytes, rowBytes);
                for (int i = 0; i < a.Length; i++) a[i] += row[i] * k;
            }
            var d = dst.AsSpan(yy * rowBytes, rowBytes);
            for (int i = 0; i < d.Length; i++) d[i] = Clip8(a[i]);
        }
        finally { System.Buffers.ArrayPool<int>.Shared.Return(acc); }
    }
}

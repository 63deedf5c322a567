namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Exact squared Euclidean distance transform in linear time (Felzenszwalb and Huttenlocher, "Distance
/// Transforms of Sampled Functions", 2012): a 1-D lower envelope of parabolas per row over per-column distances.
/// The cost does not depend on the distances involved, so growing by 50 px costs the same as by 1 px.
/// For a binary input the per-column 1-D transform reduces to two running-count sweeps (Meijster et al. 2000),
/// which walk memory row by row instead of down columns.
/// </summary>
internal static class DistanceTransform
{
    /// <summary>Stands for "no target pixel in reach"; larger than any real squared distance.</summary>
    public const float Infinity = 1e20f;

    /// <summary>
    /// For every pixel, the squared distance to the nearest target pixel (0 on target pixels).
    /// A pixel is a target when <c>(mask[i] != 0) == targetIsSet</c>. With <paramref name="borderIsTarget"/>,
    /// the ring just outside the image counts as target (as if the mask were padded by one pixel).
    /// Where no target exists at all, the result is <see cref="Infinity"/>.
    /// </summary>
    public static unsafe void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result)
    {
        if (mask.Length < width * height || result.Length < width * height)
            throw new ArgumentException("buffers are smaller than width*height");
        fixed (byte* mp = mask)
        fixed (float* rp = result)
        {
            nint m = (nint)mp, r = (nint)rp;
            // Pass 1, column strips: vertical distance to the nearest target in the same column, kept linear in result.
            int strips = Math.Max(1, Math.Min(width / 64, Environment.ProcessorCount * 2));
            ParallelRows.For(strips, (long)width * height / strips * 2, (s0, s1) =>
            {
                for (int s = s0; s < s1; s++)
                {
                    int x0 = (int)((long)width * s / strips), x1 = (int)((long)width * (s + 1) / strips);
                    ColumnSweeps((byte*)m, (float*)r, width, height, x0, x1, targetIsSet, borderIsTarget);
                }
            });
            // Pass 2, per row: lower envelope of parabolas rooted at the squared column distances.
            ParallelRows.For(height, (long)width * 8, (y0, y1) =>
            {
                int n = width + 2;
                var f = new float[n];
                var d = new float[n];
                var v = new int[n];
                var z = new double[n + 1];
                int off = borderIsTarget ? 1 : 0;
                int len = width + 2 * off;
                for (int y = y0; y < y1; y++)
                {
                    var row = new Span<float>((float*)r + (long)y * width, width);
                    if (borderIsTarget) { f[0] = 0; f[width + 1] = 0; }
                    for (int x = 0; x < width; x++)
                    {
                        float g = row[x];
                        f[x + off] = g >= Infinity ? Infinity : g * g;
                    }
                    Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
                    d.AsSpan(off, width).CopyTo(row);
                }
            });
        }
    }

    private static unsafe void ColumnSweeps(byte* mask, float* result, int width, int height, int x0, int x1, bool targetIsSet, bool borderIsTarget)
    {
        int w = x1 - x0;
        // Virtual target row above the image sits at distance y+1 from row y.
        float start = borderIsTarget ? 1f : Infinity;
        byte hit = targetIsSet ? (byte)1 : (byte)0;
        for (int y = 0; y < height; y++)
        {
            byte* mr = mask + (long)y * width + x0;
            float* rr = result + (long)y * width + x0;
            float* prev = y > 0 ? rr - width : null;
            for (int i = 0; i < w; i++)
            {
                bool target = (mr[i] != 0 ? (byte)1 : (byte)0) == hit;
                float above = prev != null ? prev[i] + 1f : start;
                rr[i] = target ? 0f : (above >= Infinity ? Infinity : above);
            }
        }
        // Upward sweep: the nearest target may be below; the bottom border is one row beyond the last.
        {
            float* rr = result + (long)(height - 1) * width + x0;
            if (borderIsTarget)
                for (int i = 0; i < w; i++) rr[i] = Math.Min(rr[i], 1f);
        }
        for (int y = height - 2; y >= 0; y--)
        {
            float* rr = result + (long)y * width + x0;
            float* below = rr + width;
            for (int i = 0; i < w; i++)
            {
                float b = below[i] + 1f;
                if (b < rr[i]) rr[i] = b;
            }
        }
    }

    /// <summary>1-D squared distance transform of sampled function <paramref name="f"/> into <paramref name="d"/>.</summary>
    internal static void Envelope(ReadOnlySpan<float> f, Span<float> d, int[] v, double[] z)
    {
        int n = f.Length;
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            if (f[q] >= Infinity) continue; // never the nearest; skipping keeps the arithmetic finite
            if (k < 0) { k = 0; v[0] = q; z[0] = double.NegativeInfinity; z[1] = double.PositiveInfinity; continue; }
            double s;
            while (true)
            {
                int p = v[k];
                // Where the parabolas rooted at p and q cross; z[0] = -inf ends the loop.
                s = ((double)f[q] + (double)q * q - f[p] - (double)p * p) / (2.0 * (q - p));
                if (s <= z[k]) k--; else break;
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        if (k < 0) { d.Fill(Infinity); return; }
        int j = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[j + 1] < q) j++;
            float dq = q - v[j];
            d[q] = dq * dq + f[v[j]];
        }
    }
}

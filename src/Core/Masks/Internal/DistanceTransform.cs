namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Exact squared Euclidean distance transform in linear time (Felzenszwalb and Huttenlocher, "Distance
/// Transforms of Sampled Functions", 2012): a 1-D lower envelope of parabolas per column, then per row.
/// The cost does not depend on the distances involved, so growing by 50 px costs the same as by 1 px.
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
    public static void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result)
    {
        if (mask.Length < width * height || result.Length < width * height)
            throw new ArgumentException("buffers are smaller than width*height");

        // Pass 1, per column: distance along y to the nearest target in that column.
        int n = Math.Max(width, height) + 2;
        var f = new float[n];
        var d = new float[n];
        var v = new int[n];
        var z = new double[n + 1];
        for (int x = 0; x < width; x++)
        {
            int len = height;
            int off = borderIsTarget ? 1 : 0;
            if (borderIsTarget) { f[0] = 0; f[height + 1] = 0; len = height + 2; }
            for (int y = 0; y < height; y++)
                f[y + off] = ((mask[y * width + x] != 0) == targetIsSet) ? 0f : Infinity;
            Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
            for (int y = 0; y < height; y++) result[y * width + x] = d[y + off];
        }

        // Pass 2, per row, on the column distances.
        for (int y = 0; y < height; y++)
        {
            var row = result.Slice(y * width, width);
            int len = width;
            int off = borderIsTarget ? 1 : 0;
            if (borderIsTarget) { f[0] = 0; f[width + 1] = 0; len = width + 2; }
            row.CopyTo(f.AsSpan(off, width));
            Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
            d.AsSpan(off, width).CopyTo(row);
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

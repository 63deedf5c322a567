using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>
/// Test-only reference for <see cref="DistanceTransform.SquaredDistance(ReadOnlySpan{byte}, int, int, bool, bool, Span{float}, int)"/>:
/// plain scalar column distances, then per row the straightforward Felzenszwalb lower envelope with exact
/// cross-multiplied breakpoints, one pixel at a time. Slow but simple; the product code must match it bit for bit,
/// including the capped semantics (columns farther than the cap do not take part).
/// </summary>
internal static class DistanceTransformReference
{
    public static float[] SquaredDistance(byte[] mask, int width, int height, bool targetIsSet, bool borderIsTarget, int maxDistance = int.MaxValue)
    {
        const int noTarget = DistanceTransform.NoTarget;
        var g = new int[width * height];
        for (int x = 0; x < width; x++)
        {
            // Down then up; the virtual border rows are at -1 and height; distances saturate below noTarget.
            int run = borderIsTarget ? 1 : noTarget;
            for (int y = 0; y < height; y++)
            {
                bool target = (mask[y * width + x] != 0) == targetIsSet;
                if (y > 0) run = run == noTarget ? noTarget : Math.Min(run + 1, noTarget - 1);
                if (target) run = 0;
                g[y * width + x] = run;
            }
            run = borderIsTarget ? 1 : noTarget;
            for (int y = height - 1; y >= 0; y--)
            {
                if (y < height - 1) run = run == noTarget ? noTarget : Math.Min(run + 1, noTarget - 1);
                if (g[y * width + x] < run) run = g[y * width + x];
                g[y * width + x] = run;
            }
        }
        int cap = maxDistance >= noTarget ? noTarget : maxDistance;
        int limit = Math.Min(cap, noTarget - 1);
        var result = new float[width * height];
        var v = new int[width + 2];
        var hv = new long[width + 2];
        var zn = new long[width + 2];
        var zd = new long[width + 2];
        for (int y = 0; y < height; y++)
            Row(g.AsSpan(y * width, width), limit, borderIsTarget, result.AsSpan(y * width, width), v, hv, zn, zd);
        return result;
    }

    private static void Row(ReadOnlySpan<int> g, int limit, bool border, Span<float> d, int[] v, long[] hv, long[] zn, long[] zd)
    {
        int n = g.Length;
        int k = -1;
        if (border) { k = 0; v[0] = -1; hv[0] = 1; }
        for (int q = 0; q <= n; q++)
        {
            long hq;
            if (q == n)
            {
                if (!border) break;
                hq = (long)n * n;
            }
            else
            {
                if (g[q] > limit) continue;
                hq = (long)g[q] * g[q] + (long)q * q;
            }
            if (k < 0) { k = 0; v[0] = q; hv[0] = hq; continue; }
            long num, den;
            while (true)
            {
                num = hq - hv[k];
                den = 2L * (q - v[k]);
                if (k > 0 && num * zd[k] <= zn[k] * den) k--; else break;
            }
            k++;
            v[k] = q; hv[k] = hq; zn[k] = num; zd[k] = den;
        }
        if (k < 0) { d.Fill(DistanceTransform.Infinity); return; }
        int j = 0;
        for (int q = 0; q < n; q++)
        {
            while (j < k && zn[j + 1] < q * zd[j + 1]) j++;
            long dq = (long)(q - v[j]) * (q - v[j]) + hv[j] - (long)v[j] * v[j];
            d[q] = g[q] == 0 ? 0f : dq;
        }
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace SegPlugins.Core.Masks.Internal;

/// <summary>The thresholded transform: whether each pixel lies within a radius of a target, in integers.</summary>
internal static partial class DistanceTransform
{
    /// <summary>
    /// Writes <paramref name="inside"/> where the squared distance to the nearest target is &lt;= radius², else
    /// <paramref name="outside"/>. Same separable exact transform as <see cref="SquaredDistance(ReadOnlySpan{byte}, int, int, bool, bool, Span{float})"/>
    /// (border not a target), but the row phase answers the threshold directly: column x' with vertical distance
    /// g reaches every x with |x - x'| &lt;= floor(sqrt(r² - g²)), so a left-to-right running maximum of x' + reach
    /// and a right-to-left running minimum of x' - reach decide each pixel in integers, with no float image at all.
    /// </summary>
    public static void WithinRadius(byte[] mask, int width, int height, bool targetIsSet, long radius, byte inside, byte outside, byte[] dst)
    {
        if (radius < CappedColumns.MaxCap)
        {
            int cap = (int)radius + 1;
            WithinRadiusBanded(mask, width, height, targetIsSet, (int)radius, inside, outside, dst, CappedColumns.Bands(width, height, cap));
            return;
        }
        WithinRadiusWide(mask, width, height, targetIsSet, radius, inside, outside, dst);
    }

    /// <summary>
    /// <see cref="WithinRadius"/> for radii below <see cref="CappedColumns.MaxCap"/>: byte column distances per band
    /// (<see cref="CappedColumns"/>), and a row pass that only looks at columns within reach. A run of target
    /// columns [a, b] covers [a - r, b + r]; any other column x' with vertical distance g &lt;= r covers
    /// x' ± floor(sqrt(r² - g²)); the row is the union of those intervals, written as fills. Columns out of reach
    /// and runs of targets are skipped with vectorised searches, so the work follows the edge length.
    /// </summary>
    internal static void WithinRadiusBanded(byte[] mask, int width, int height, bool targetIsSet, int radius, byte inside, byte outside, byte[] dst, int bands)
    {
        int r = radius;
        var reach = new int[r + 1];
        long r2 = (long)r * r;
        for (int gv = 0; gv <= r; gv++) reach[gv] = ISqrt(r2 - (long)gv * gv);
        ParallelRows.For(bands, (long)width * height / bands * 3, (b0, b1) =>
        {
            for (int b = b0; b < b1; b++)
            {
                int y0 = (int)((long)height * b / bands), y1 = (int)((long)height * (b + 1) / bands);
                var sink = new RadiusRows(dst, width, r, reach, inside, outside);
                CappedColumns.Band(mask, width, height, y0, y1, targetIsSet, r + 1, ref sink);
            }
        });
    }

    private static int ISqrt(long v)
    {
        long q = (long)Math.Sqrt(v);
        while (q * q > v) q--;
        while ((q + 1) * (q + 1) <= v) q++;
        return (int)q;
    }

    private readonly struct RadiusRows(byte[] dst, int width, int r, int[] reach, byte inside, byte outside) : CappedColumns.IRowSink
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(int y, ReadOnlySpan<byte> g)
        {
            var d = dst.AsSpan(y * width, width);
            int w = width;
            byte rb = (byte)r;
            int x = g.IndexOfAnyInRange((byte)0, rb);
            if (x < 0) { d.Fill(outside); return; }
            if (x == 0 && g.IndexOfAnyExcept((byte)0) < 0) { d.Fill(inside); return; }
            d.Fill(outside);
            // The current union of intervals; a new one either overlaps or touches it, or the union is written out.
            int curL = 0, curR = -2;
            bool have = false;
            while (true)
            {
                int gv = g[x], lo, hi;
                if (gv == 0)
                {
                    int k = g.Slice(x + 1).IndexOfAnyExcept((byte)0);
                    int end = k < 0 ? w : x + 1 + k;
                    lo = x - r; hi = end - 1 + r; x = end;
                }
                else
                {
                    int re = reach[gv];
                    lo = x - re; hi = x + re; x++;
                }
                if (have && lo <= curR + 1)
                {
                    if (lo < curL) curL = lo;
                    if (hi > curR) curR = hi;
                }
                else
                {
                    if (have) FillClipped(d, curL, curR, inside);
                    curL = lo; curR = hi; have = true;
                }
                if (x >= w) break;
                if (g[x] > rb)
                {
                    int k = g.Slice(x).IndexOfAnyInRange((byte)0, rb);
                    if (k < 0) break;
                    x += k;
                }
            }
            FillClipped(d, curL, curR, inside);
        }

        private static void FillClipped(Span<byte> d, int lo, int hi, byte v)
        {
            if (lo < 0) lo = 0;
            if (hi > d.Length - 1) hi = d.Length - 1;
            if (hi >= lo) d.Slice(lo, hi - lo + 1).Fill(v);
        }
    }

    /// <summary><see cref="WithinRadius"/> for large radii, on 16-bit column distances over the whole image.</summary>
    private static void WithinRadiusWide(byte[] mask, int width, int height, bool targetIsSet, long radius, byte inside, byte outside, byte[] dst)
    {
        int r = (int)Math.Min(radius, (long)width + height);
        if (height >= NoTarget - 1 || r >= NoTarget - 1)
        {
            // Rare shapes: fall back to thresholding the float transform.
            var dist = new float[width * height];
            SquaredDistance(mask, width, height, targetIsSet, false, dist);
            float lim = (float)((double)r * r);
            for (int i = 0; i < dst.Length; i++) dst[i] = dist[i] <= lim ? inside : outside;
            return;
        }
        var g = GC.AllocateUninitializedArray<ushort>(width * height); // the down sweep writes every element first
        int strips = Math.Max(1, Math.Min(width / 64, Environment.ProcessorCount * 2));
        ParallelRows.For(strips, (long)width * height / strips * 2, (s0, s1) =>
        {
            for (int s = s0; s < s1; s++)
            {
                int x0 = (int)((long)width * s / strips), x1 = (int)((long)width * (s + 1) / strips);
                ColumnSweeps(mask, g, width, height, x0, x1, targetIsSet, false);
            }
        });
        // reach[g] = floor(sqrt(r² - g²)) for g <= r, computed exactly in integers.
        var reach = new int[r + 1];
        long r2 = (long)r * r;
        for (int gv = 0; gv <= r; gv++)
        {
            long rem = r2 - (long)gv * gv;
            long q = (long)Math.Sqrt(rem);
            while (q * q > rem) q--;
            while ((q + 1) * (q + 1) <= rem) q++;
            reach[gv] = (int)q;
        }
        ParallelRows.For(height, (long)width * 3, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var gr = new ReadOnlySpan<ushort>(g, y * width, width);
                var dr = dst.AsSpan(y * width, width);
                if (gr.IndexOfAnyExcept((ushort)0) < 0) { dr.Fill(inside); continue; }
                long right = long.MinValue;
                for (int x = 0; x < width; x++)
                {
                    int gv = gr[x];
                    if (gv <= r) { long e = (long)x + reach[gv]; if (e > right) right = e; }
                    dr[x] = right >= x ? inside : outside;
                }
                long left = long.MaxValue;
                for (int x = width - 1; x >= 0; x--)
                {
                    int gv = gr[x];
                    if (gv <= r) { long e = (long)x - reach[gv]; if (e < left) left = e; }
                    if (left <= x) dr[x] = inside;
                }
            }
        });
    }
}

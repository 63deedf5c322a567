using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
    public static void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result) =>
        SquaredDistance(mask, width, height, targetIsSet, borderIsTarget, result, int.MaxValue);

    /// <summary>
    /// As above, but exact only up to <paramref name="maxDistance"/>: where the true distance exceeds it the result
    /// is some value &gt; maxDistance² (often <see cref="Infinity"/>). Columns farther than that from any target
    /// then drop out of the per-row envelope, which is what keeps thresholding (grow, shrink, feather) cheap.
    /// </summary>
    public static unsafe void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result, int maxDistance)
    {
        if (mask.Length < width * height || result.Length < width * height)
            throw new ArgumentException("buffers are smaller than width*height");
        if (height >= NoTarget - 1)
        {
            SquaredDistanceTall(mask, width, height, targetIsSet, borderIsTarget, result);
            return;
        }
        // Vertical distances fit 16 bits here, which halves the traffic of the column sweeps and lets them vectorise.
        var g = GC.AllocateUninitializedArray<ushort>(width * height); // the down sweep writes every element first
        int cap = maxDistance >= NoTarget ? NoTarget : maxDistance;
        fixed (byte* mp = mask)
        fixed (float* rp = result)
        {
            nint m = (nint)mp, r = (nint)rp;
            int strips = Math.Max(1, Math.Min(width / 64, Environment.ProcessorCount * 2));
            ParallelRows.For(strips, (long)width * height / strips * 2, (s0, s1) =>
            {
                for (int s = s0; s < s1; s++)
                {
                    int x0 = (int)((long)width * s / strips), x1 = (int)((long)width * (s + 1) / strips);
                    ColumnSweeps(new ReadOnlySpan<byte>((byte*)m, width * height), g, width, height, x0, x1, targetIsSet, borderIsTarget);
                }
            });
            ParallelRows.For(height, (long)width * 4, (y0, y1) =>
            {
                int n = width + 2;
                var v = new int[n + 1];
                var hv = new long[n + 1];
                var zn = new long[n + 1];
                var zd = new long[n + 1];
                for (int y = y0; y < y1; y++)
                {
                    var row = new Span<float>((float*)r + (long)y * width, width);
                    var gr = new ReadOnlySpan<ushort>(g, y * width, width);
                    if (!borderIsTarget)
                    {
                        // Whole-row shortcuts: all target, or nothing within reach.
                        if (gr.IndexOfAnyExcept((ushort)0) < 0) { row.Clear(); continue; }
                        if (gr.IndexOfAnyInRange((ushort)0, (ushort)Math.Min(cap, NoTarget - 1)) < 0) { row.Fill(Infinity); continue; }
                    }
                    RowEnvelope(gr, cap, borderIsTarget, row, v, hv, zn, zd);
                }
            });
        }
    }

    /// <summary>
    /// Row phase: d(x) = min over x' of (x - x')² + g(x')², as the lower envelope of one parabola per column
    /// (Felzenszwalb and Huttenlocher). Parabola q is kept as h = g² + q², so two of them cross at
    /// (h_q - h_p) / (2(q - p)), held as an exact fraction and compared by cross-multiplication. Inner columns of
    /// target runs are skipped (a run end is always at least as near), and so are columns beyond the cap.
    /// With <paramref name="border"/>, columns -1 and width are targets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowEnvelope(ReadOnlySpan<ushort> g, int cap, bool border, Span<float> d, int[] vArr, long[] hArr, long[] znArr, long[] zdArr)
    {
        int n = g.Length;
        ref int v = ref MemoryMarshal.GetArrayDataReference(vArr);
        ref long hv = ref MemoryMarshal.GetArrayDataReference(hArr);
        ref long zn = ref MemoryMarshal.GetArrayDataReference(znArr);
        ref long zd = ref MemoryMarshal.GetArrayDataReference(zdArr);
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        if (vArr.Length < n + 2 || hArr.Length < n + 2 || znArr.Length < n + 2 || zdArr.Length < n + 2) throw new ArgumentException("envelope buffers too small");
        int k = -1;
        if (border) { k = 0; v = -1; hv = 1; }
        int limit = Math.Min(cap, NoTarget - 1);
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
                int gv = Unsafe.Add(ref gr, q);
                if (gv > limit) continue;
                if (gv == 0 && q > 0 && q < n - 1 && Unsafe.Add(ref gr, q - 1) == 0 && Unsafe.Add(ref gr, q + 1) == 0) continue;
                hq = (long)gv * gv + (long)q * q;
            }
            if (k < 0) { k = 0; v = q; hv = hq; continue; }
            long num, den;
            while (true)
            {
                // Where the parabolas rooted at the stack top and q cross; breakpoint 0 is -infinity.
                num = hq - Unsafe.Add(ref hv, k);
                den = 2L * (q - Unsafe.Add(ref v, k));
                if (k > 0 && num * Unsafe.Add(ref zd, k) <= Unsafe.Add(ref zn, k) * den) k--; else break;
            }
            k++;
            Unsafe.Add(ref v, k) = q;
            Unsafe.Add(ref hv, k) = hq;
            Unsafe.Add(ref zn, k) = num;
            Unsafe.Add(ref zd, k) = den;
        }
        if (k < 0) { d.Fill(Infinity); return; }
        ref float dr = ref MemoryMarshal.GetReference(d);
        int j = 0;
        int vj = v;
        long hj = hv;
        for (int q = 0; q < n; q++)
        {
            while (j < k && Unsafe.Add(ref zn, j + 1) < q * Unsafe.Add(ref zd, j + 1))
            {
                j++;
                vj = Unsafe.Add(ref v, j);
                hj = Unsafe.Add(ref hv, j);
            }
            // (q - v)² + g_v² = q² - 2qv + h_v; target columns are 0 even where their run's inside was skipped.
            long dq = (long)q * q - 2L * q * vj + hj;
            Unsafe.Add(ref dr, q) = Unsafe.Add(ref gr, q) == 0 ? 0f : dq;
        }
    }

    internal const int NoTarget = ushort.MaxValue;

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

    internal static void ColumnSweeps(ReadOnlySpan<byte> mask, ushort[] g, int width, int height, int x0, int x1, bool targetIsSet, bool borderIsTarget)
    {
        int w = x1 - x0;
        // The virtual target row above the image sits at distance y+1 from row y.
        ushort start = borderIsTarget ? (ushort)1 : (ushort)NoTarget;
        int vn = System.Numerics.Vector<ushort>.Count;
        var one = new System.Numerics.Vector<ushort>(1);
        var limit = new System.Numerics.Vector<ushort>(NoTarget - 1);
        var noTarget = new System.Numerics.Vector<ushort>(NoTarget);
        var tmp = new ushort[w];
        for (int y = 0; y < height; y++)
        {
            var mr = mask.Slice(y * width + x0, w);
            var gr = g.AsSpan(y * width + x0, w);
            // Target flags widened to 16 bits: 0 where target, else 1 (then scaled into the select below).
            int i0 = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                int bn = System.Numerics.Vector<byte>.Count;
                for (; i0 <= w - bn; i0 += bn)
                {
                    var isZero = System.Numerics.Vector.Equals(new System.Numerics.Vector<byte>(mr.Slice(i0)), System.Numerics.Vector<byte>.Zero);
                    var nonTarget = targetIsSet ? isZero : ~isZero;
                    System.Numerics.Vector.Widen(nonTarget, out var lo, out var hi);
                    lo.CopyTo(tmp, i0);
                    hi.CopyTo(tmp, i0 + vn);
                }
            }
            for (; i0 < w; i0++) tmp[i0] = ((mr[i0] != 0) == targetIsSet) ? (ushort)0 : (ushort)1;
            if (y == 0)
            {
                for (int i = 0; i < w; i++) gr[i] = tmp[i] == 0 ? (ushort)0 : start;
                continue;
            }
            var prev = g.AsSpan((y - 1) * width + x0, w);
            int i2 = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
                for (; i2 <= w - vn; i2 += vn)
                {
                    var p = new System.Numerics.Vector<ushort>(prev.Slice(i2));
                    var inc = System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.Equals(p, noTarget), noTarget, System.Numerics.Vector.Min(p, limit) + one);
                    var t = new System.Numerics.Vector<ushort>(tmp, i2);
                    System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.Equals(t, System.Numerics.Vector<ushort>.Zero), System.Numerics.Vector<ushort>.Zero, inc).CopyTo(gr.Slice(i2));
                }
            for (; i2 < w; i2++)
            {
                int p = prev[i2];
                gr[i2] = tmp[i2] == 0 ? (ushort)0 : p == NoTarget ? (ushort)NoTarget : (ushort)Math.Min(p + 1, NoTarget - 1);
            }
        }
        // Upward sweep: the nearest target may be below; the bottom border is one row beyond the last.
        if (borderIsTarget)
        {
            var last = g.AsSpan((height - 1) * width + x0, w);
            for (int i = 0; i < w; i++) if (last[i] > 1) last[i] = 1;
        }
        for (int y = height - 2; y >= 0; y--)
        {
            var gr = g.AsSpan(y * width + x0, w);
            var below = g.AsSpan((y + 1) * width + x0, w);
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
                for (; i <= w - vn; i += vn)
                {
                    var b = new System.Numerics.Vector<ushort>(below.Slice(i));
                    var cand = System.Numerics.Vector.ConditionalSelect(System.Numerics.Vector.Equals(b, noTarget), noTarget, System.Numerics.Vector.Min(b, limit) + one);
                    System.Numerics.Vector.Min(new System.Numerics.Vector<ushort>(gr.Slice(i)), cand).CopyTo(gr.Slice(i));
                }
            for (; i < w; i++)
            {
                int b = below[i];
                int c = b == NoTarget ? NoTarget : Math.Min(b + 1, NoTarget - 1);
                if (c < gr[i]) gr[i] = (ushort)c;
            }
        }
    }

    /// <summary>The plain two-pass form for images taller than 16-bit column distances allow.</summary>
    private static void SquaredDistanceTall(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result)
    {
        int n = Math.Max(width, height) + 2;
        var f = new float[n];
        var d = new float[n];
        var v = new int[n];
        var z = new double[n + 1];
        int off = borderIsTarget ? 1 : 0;
        for (int x = 0; x < width; x++)
        {
            int len = height + 2 * off;
            if (borderIsTarget) { f[0] = 0; f[height + 1] = 0; }
            for (int y = 0; y < height; y++)
                f[y + off] = ((mask[y * width + x] != 0) == targetIsSet) ? 0f : Infinity;
            Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
            for (int y = 0; y < height; y++) result[y * width + x] = d[y + off];
        }
        for (int y = 0; y < height; y++)
        {
            var row = result.Slice(y * width, width);
            int len = width + 2 * off;
            if (borderIsTarget) { f[0] = 0; f[width + 1] = 0; }
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

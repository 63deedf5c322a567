using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
        // The result rows hold intermediate column distances while the mask is still being read.
        if (mask.Overlaps(MemoryMarshal.AsBytes(result)))
            throw new ArgumentException("mask and result must not overlap");
        if (height >= NoTarget - 1)
        {
            SquaredDistanceTall(mask, width, height, targetIsSet, borderIsTarget, result);
            return;
        }
        if (width <= 0 || height <= 0) return;
        // Vertical distances fit 16 bits here, which halves the traffic of the column sweeps and lets them vectorise.
        // Only the downward distances are stored, in the first half of each result row (a float row has room for
        // two ushort rows), so no image-sized scratch is allocated and faulted in. Each band of rows then runs the
        // upward sweep itself, row by row, copying a row's distances out before the row phase overwrites them.
        int cap = maxDistance >= NoTarget ? NoTarget : maxDistance;
        int bands = Math.Max(1, Math.Min(height, Environment.ProcessorCount * 4));
        // Per band and column, the topmost target row in the band (NoTarget: none), which gives each band the
        // upward distance it starts from without waiting for the bands below.
        var top = GC.AllocateUninitializedArray<ushort>(bands * width);
        top.AsSpan().Fill(NoTarget);
        fixed (byte* mp = mask)
        fixed (float* rp = result)
        {
            nint m = (nint)mp, r = (nint)rp;
            int strips = Math.Max(1, Math.Min(width / 64, Environment.ProcessorCount * 2));
            ParallelRows.For(strips, (long)width * height / strips, (s0, s1) =>
            {
                for (int s = s0; s < s1; s++)
                {
                    int x0 = (int)((long)width * s / strips), x1 = (int)((long)width * (s + 1) / strips);
                    DownSweep((byte*)m, (ushort*)r, top, width, height, bands, x0, x1, targetIsSet, borderIsTarget);
                }
            });
            // Column distances never exceed the height (or the cap), which decides the arithmetic the rows may use.
            int gMax = Math.Min(Math.Min(cap, NoTarget - 1), height);
            ParallelRows.For(bands, (long)width * height / bands * 4, (b0, b1) =>
            {
                var buffers = new EnvelopeBuffers(width, gMax);
                var up = new ushort[width];
                var gr = new ushort[width];
                for (int b = b0; b < b1; b++)
                {
                    int y0 = BandStart(b, bands, height), y1 = BandStart(b + 1, bands, height);
                    UpStart(top, b, bands, width, height, y1, borderIsTarget, up);
                    for (int y = y1 - 1; y >= y0; y--)
                    {
                        UpStep(new ReadOnlySpan<ushort>((ushort*)r + (nint)y * 2 * width, width), up, gr);
                        var row = new Span<float>((float*)r + (long)y * width, width);
                        if (!borderIsTarget)
                        {
                            // Whole-row shortcuts: all target, or nothing within reach.
                            if (gr.AsSpan().IndexOfAnyExcept((ushort)0) < 0) { row.Clear(); continue; }
                            if (gr.AsSpan().IndexOfAnyInRange((ushort)0, (ushort)Math.Min(cap, NoTarget - 1)) < 0) { row.Fill(Infinity); continue; }
                        }
                        RowEnvelope(gr, cap, borderIsTarget, row, buffers);
                    }
                }
            });
        }
    }

    private static int BandStart(int b, int bands, int height) => (int)((long)height * b / bands);

    /// <summary>
    /// Downward sweep over columns [x0, x1): g = rows since the nearest target at or above (NoTarget: none; with a
    /// border, row -1 is a target), row y stored at <paramref name="g"/> + 2·width·y; and the topmost target row of
    /// each band into <paramref name="top"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DownSweep(byte* mask, ushort* g, ushort[] top, int width, int height, int bands, int x0, int x1, bool targetIsSet, bool borderIsTarget)
    {
        ref byte m0 = ref *mask;
        ref ushort g0 = ref *g;
        ref ushort t0 = ref MemoryMarshal.GetArrayDataReference(top);
        ushort start = borderIsTarget ? (ushort)1 : (ushort)NoTarget;
        var noTarget = new Vector<ushort>(NoTarget);
        var most = new Vector<ushort>(NoTarget - 1);
        var one = new Vector<ushort>(1);
        int bn = Vector<byte>.Count, un = Vector<ushort>.Count;
        int b = 0, nextBand = BandStart(1, bands, height);
        for (int y = 0; y < height; y++)
        {
            if (y == nextBand) nextBand = BandStart(++b + 1, bands, height);
            ref byte mr = ref Unsafe.Add(ref m0, (nint)y * width);
            ref ushort gr = ref Unsafe.Add(ref g0, (nint)y * 2 * width);
            ref ushort prev = ref Unsafe.Add(ref g0, (nint)Math.Max(y - 1, 0) * 2 * width); // unused on row 0
            ref ushort tr = ref Unsafe.Add(ref t0, (nint)b * width);
            var yv = new Vector<ushort>((ushort)y);
            int x = x0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= x1 - bn; x += bn)
                {
                    // 0xFFFF on target pixels, widened from the byte compare.
                    var isZero = Vector.AsVectorSByte(Vector.Equals(Vector.LoadUnsafe(ref mr, (nuint)x), Vector<byte>.Zero));
                    var isTarget = targetIsSet ? ~isZero : isZero;
                    Vector.Widen(isTarget, out var tLo, out var tHi);
                    DownStep(ref gr, ref prev, ref tr, x, y == 0, start, Vector.AsVectorUInt16(tLo), yv, noTarget, most, one);
                    DownStep(ref gr, ref prev, ref tr, x + un, y == 0, start, Vector.AsVectorUInt16(tHi), yv, noTarget, most, one);
                }
            }
            for (; x < x1; x++)
            {
                bool target = (Unsafe.Add(ref mr, x) != 0) == targetIsSet;
                int p = y == 0 ? start : Unsafe.Add(ref prev, x);
                int inc = y == 0 ? start : p == NoTarget ? NoTarget : Math.Min(p + 1, NoTarget - 1);
                Unsafe.Add(ref gr, x) = target ? (ushort)0 : (ushort)inc;
                if (target && Unsafe.Add(ref tr, x) == NoTarget) Unsafe.Add(ref tr, x) = (ushort)y;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DownStep(ref ushort gr, ref ushort prev, ref ushort tr, int x, bool first, ushort start, Vector<ushort> isTarget,
        Vector<ushort> y, Vector<ushort> noTarget, Vector<ushort> most, Vector<ushort> one)
    {
        Vector<ushort> inc;
        if (first) inc = new Vector<ushort>(start);
        else
        {
            var p = Vector.LoadUnsafe(ref prev, (nuint)x);
            inc = Vector.ConditionalSelect(Vector.Equals(p, noTarget), noTarget, Vector.Min(p + one, most));
        }
        Vector.AndNot(inc, isTarget).StoreUnsafe(ref gr, (nuint)x);
        // Rows only grow, so the minimum over target rows (others read as NoTarget) is the topmost one.
        var t = Vector.LoadUnsafe(ref tr, (nuint)x);
        Vector.Min(t, y | ~isTarget).StoreUnsafe(ref tr, (nuint)x);
    }

    /// <summary>
    /// Upward distances at row <paramref name="y1"/>, just below band <paramref name="b"/>: rows to the topmost
    /// target at or below it, from the per-band topmost rows of the bands below (the first one that has a target
    /// holds the smallest row, so the minimum over all of them is it); the bottom border sits at row height.
    /// </summary>
    private static void UpStart(ushort[] top, int b, int bands, int width, int height, int y1, bool borderIsTarget, ushort[] up)
    {
        var below = up.AsSpan(0, width);
        below.Fill(NoTarget);
        for (int bb = b + 1; bb < bands; bb++)
        {
            var t = top.AsSpan(bb * width, width);
            for (int x = 0; x < width; x++) if (t[x] < below[x]) below[x] = t[x];
        }
        for (int x = 0; x < width; x++)
            below[x] = below[x] != NoTarget ? (ushort)(below[x] - y1) : borderIsTarget ? (ushort)(height - y1) : (ushort)NoTarget;
    }

    /// <summary>
    /// One step of the upward sweep: <paramref name="upArr"/> moves from the row below to this one (0 on targets,
    /// i.e. where the downward distance is 0), and the row's column distance is the smaller of the two.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpStep(ReadOnlySpan<ushort> down, ushort[] upArr, ushort[] outArr)
    {
        int n = down.Length;
        ref ushort d = ref MemoryMarshal.GetReference(down);
        ref ushort up = ref MemoryMarshal.GetArrayDataReference(upArr);
        ref ushort o = ref MemoryMarshal.GetArrayDataReference(outArr);
        int x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var noTarget = new Vector<ushort>(NoTarget);
            var most = new Vector<ushort>(NoTarget - 1);
            var one = new Vector<ushort>(1);
            for (; x <= n - Vector<ushort>.Count; x += Vector<ushort>.Count)
            {
                var dv = Vector.LoadUnsafe(ref d, (nuint)x);
                var p = Vector.LoadUnsafe(ref up, (nuint)x);
                var u = Vector.ConditionalSelect(Vector.Equals(p, noTarget), noTarget, Vector.Min(p + one, most));
                u = Vector.AndNot(u, Vector.Equals(dv, Vector<ushort>.Zero));
                u.StoreUnsafe(ref up, (nuint)x);
                Vector.Min(dv, u).StoreUnsafe(ref o, (nuint)x);
            }
        }
        for (; x < n; x++)
        {
            int dv = Unsafe.Add(ref d, x), p = Unsafe.Add(ref up, x);
            int u = dv == 0 ? 0 : p == NoTarget ? NoTarget : Math.Min(p + 1, NoTarget - 1);
            Unsafe.Add(ref up, x) = (ushort)u;
            Unsafe.Add(ref o, x) = (ushort)Math.Min(dv, u);
        }
    }

    /// <summary>Per-thread scratch for <see cref="RowEnvelope"/>, sized for one row.</summary>
    internal sealed class EnvelopeBuffers
    {
        public readonly int[] V, Start;
        public readonly long[] H, Zn, Zd;
        public readonly ulong[] Candidates;
        /// <summary>Whether the 32-bit pruning test is exact: 2g² + 2·2² stays below 2^31 for g up to 23170.</summary>
        public readonly bool Prune;
        /// <summary>Whether every squared distance on a row fits an int, so segments can be written with int vectors.</summary>
        public readonly bool IntValues;

        public EnvelopeBuffers(int width, int gMax)
        {
            V = new int[width + 2];
            Start = new int[width + 3];
            H = new long[width + 2];
            Zn = new long[width + 2];
            Zd = new long[width + 2];
            Candidates = new ulong[(width >> 6) + 2];
            Prune = gMax <= 23170;
            IntValues = (long)(width + 1) * (width + 1) + (long)gMax * gMax <= int.MaxValue;
        }
    }

    /// <summary>
    /// Row phase: d(x) = min over x' of (x - x')² + g(x')², as the lower envelope of one parabola per column
    /// (Felzenszwalb and Huttenlocher). Parabola q is kept as h = g² + q², so two of them cross at
    /// (h_q - h_p) / (2(q - p)), held as an exact fraction and compared by cross-multiplication.
    /// Only candidate columns enter the envelope (<see cref="MarkCandidates"/>), found with vectors and walked as
    /// set bits, which keeps the sequential, branchy part of the work to columns that may matter.
    /// With <paramref name="border"/>, columns -1 and width are targets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowEnvelope(ReadOnlySpan<ushort> g, int cap, bool border, Span<float> d, EnvelopeBuffers buf)
    {
        int n = g.Length;
        if (buf.V.Length < n + 2) throw new ArgumentException("envelope buffers too small");
        int limit = Math.Min(cap, NoTarget - 1);
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        int words = MarkCandidates(g, limit, buf.Prune, buf.Candidates);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(buf.Candidates);
        ref int v = ref MemoryMarshal.GetArrayDataReference(buf.V);
        ref long hv = ref MemoryMarshal.GetArrayDataReference(buf.H);
        ref long zn = ref MemoryMarshal.GetArrayDataReference(buf.Zn);
        ref long zd = ref MemoryMarshal.GetArrayDataReference(buf.Zd);
        int k = -1;
        if (border) { k = 0; v = -1; hv = 1; }
        for (int w = 0; w <= words; w++)
        {
            // One word past the row carries the right border column, q = n.
            ulong wb = w < words ? Unsafe.Add(ref bits, w) : border ? 1UL : 0UL;
            while (wb != 0)
            {
                int q = w == words ? n : (w << 6) + BitOperations.TrailingZeroCount(wb);
                wb &= wb - 1;
                long hq;
                if (q == n) hq = (long)n * n;
                else { int gv = Unsafe.Add(ref gr, q); hq = (long)gv * gv + (long)q * q; }
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
        }
        if (k < 0) { d.Fill(Infinity); return; }
        if (buf.IntValues) WriteSegments(g, d, k, buf);
        else WritePixels(g, d, k, buf);
    }

    /// <summary>
    /// Sets bit q of <paramref name="bitsArr"/> for every column that must enter the envelope; returns the word count.
    /// Left out: columns beyond the cap; inner columns of target runs (a run end is at least as near to every
    /// pixel outside the run, and pixels inside are 0); and, with <paramref name="prune"/>, columns q whose point
    /// (q, h_q) lies on or above the chord between q - r and q + r for r = 1 or 2, i.e. 2g_q² &gt;= g_{q-r}² + g_{q+r}² + 2r²
    /// with both partners within the cap. Such a parabola is nowhere below both partners, and where it ties for the
    /// minimum its right partner ties too, so the rightmost column reaching the minimum is never left out and every
    /// value is unchanged. The first and last columns are always kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int MarkCandidates(ReadOnlySpan<ushort> g, int limit, bool prune, ulong[] bitsArr)
    {
        int n = g.Length;
        int words = (n + 63) >> 6;
        Array.Clear(bitsArr, 0, words);
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(bitsArr);
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        int q = 0;
        if (Vector256.IsHardwareAccelerated && n >= 2 + 8 + 2)
        {
            // 8 columns per step as ints, reading neighbours at -2..+2; the ends are left to the scalar loop.
            var lim = Vector256.Create(limit);
            var two = Vector256.Create(2);
            var eight = Vector256.Create(8);
            for (q = 2; q <= n - 2 - 8; q += 8)
            {
                var c = Load8(ref gr, q);
                var a1 = Load8(ref gr, q - 1);
                var b1 = Load8(ref gr, q + 1);
                var keep = Vector256.LessThanOrEqual(c, lim) & ~Vector256.Equals(c | a1 | b1, Vector256<int>.Zero);
                if (prune)
                {
                    var a2 = Load8(ref gr, q - 2);
                    var b2 = Load8(ref gr, q + 2);
                    var c2 = c * c * two;
                    // Out-of-cap partners may overflow here; their lanes are masked off.
                    var hid1 = Vector256.GreaterThanOrEqual(c2, a1 * a1 + b1 * b1 + two) & Vector256.LessThanOrEqual(a1, lim) & Vector256.LessThanOrEqual(b1, lim);
                    var hid2 = Vector256.GreaterThanOrEqual(c2, a2 * a2 + b2 * b2 + eight) & Vector256.LessThanOrEqual(a2, lim) & Vector256.LessThanOrEqual(b2, lim);
                    keep = Vector256.AndNot(keep, hid1 | hid2);
                }
                ulong m = keep.ExtractMostSignificantBits();
                int sh = q & 63;
                Unsafe.Add(ref bits, q >> 6) |= m << sh;
                if (sh > 56) Unsafe.Add(ref bits, (q >> 6) + 1) |= m >> (64 - sh);
            }
        }
        int vecEnd = q;
        for (int x = 0; x < n; x++)
        {
            if (x == 2 && vecEnd > 2) x = vecEnd;
            if (x >= n) break;
            if (KeepColumn(g, x, limit, prune)) Unsafe.Add(ref bits, x >> 6) |= 1UL << (x & 63);
        }
        return words;
    }

    private static Vector256<int> Load8(ref ushort g, int at) =>
        Vector256.WidenLower(Vector128.LoadUnsafe(ref g, (nuint)at).ToVector256Unsafe()).AsInt32();

    /// <summary>The scalar form of the test in <see cref="MarkCandidates"/>.</summary>
    private static bool KeepColumn(ReadOnlySpan<ushort> g, int q, int limit, bool prune)
    {
        int n = g.Length;
        int gv = g[q];
        if (gv > limit) return false;
        if (q == 0 || q == n - 1) return true;
        if (gv == 0 && g[q - 1] == 0 && g[q + 1] == 0) return false;
        if (!prune) return true;
        for (int r = 1; r <= 2 && q - r >= 0 && q + r < n; r++)
        {
            int a = g[q - r], c = g[q + r];
            if (a <= limit && c <= limit && 2L * gv * gv >= (long)a * a + (long)c * c + 2L * r * r) return false;
        }
        return true;
    }

    /// <summary>
    /// Writes the envelope segment by segment: segment j covers the integers x with z_j &lt; x &lt;= z_{j+1}, so it
    /// starts at floor(z_j) + 1. The floor comes from a double division, which is exact here: |zn| &lt; 2^53, and a
    /// non-integer quotient a/b lies at least 1/b from an integer, far more than its rounding error. Values are
    /// (x - v)² + g_v² in ints (the caller checked they fit) and round to float as the long form did.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteSegments(ReadOnlySpan<ushort> g, Span<float> d, int k, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int v = ref MemoryMarshal.GetArrayDataReference(buf.V);
        ref long hv = ref MemoryMarshal.GetArrayDataReference(buf.H);
        ref long zn = ref MemoryMarshal.GetArrayDataReference(buf.Zn);
        ref long zd = ref MemoryMarshal.GetArrayDataReference(buf.Zd);
        ref int st = ref MemoryMarshal.GetArrayDataReference(buf.Start);
        st = 0;
        for (int j = 1; j <= k; j++)
        {
            double f = Math.Floor((double)Unsafe.Add(ref zn, j) / Unsafe.Add(ref zd, j)) + 1;
            Unsafe.Add(ref st, j) = (int)Math.Clamp(f, 0, n);
        }
        Unsafe.Add(ref st, k + 1) = n;
        ref float dr = ref MemoryMarshal.GetReference(d);
        var iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        for (int j = 0; j <= k; j++)
        {
            int x = Unsafe.Add(ref st, j), e = Unsafe.Add(ref st, j + 1);
            if (x >= e) continue;
            int vj = Unsafe.Add(ref v, j);
            int g2 = (int)(Unsafe.Add(ref hv, j) - (long)vj * vj);
            if (Vector256.IsHardwareAccelerated)
            {
                var g2v = Vector256.Create(g2);
                var off = iota - Vector256.Create(vj);
                for (; x <= e - 8; x += 8)
                {
                    var dx = Vector256.Create(x) + off;
                    var val = Vector256.ConvertToSingle(dx * dx + g2v);
                    // Target pixels are 0 even where their run's inside was left out of the envelope.
                    var target = Vector256.Equals(Load8(ref gr, x), Vector256<int>.Zero).AsSingle();
                    Vector256.AndNot(val, target).StoreUnsafe(ref dr, (nuint)x);
                }
            }
            for (; x < e; x++)
            {
                int dx = x - vj;
                Unsafe.Add(ref dr, x) = Unsafe.Add(ref gr, x) == 0 ? 0f : dx * dx + g2;
            }
        }
    }

    /// <summary>The envelope written pixel by pixel in longs, for rows whose squared distances may pass 2^31.</summary>
    private static void WritePixels(ReadOnlySpan<ushort> g, Span<float> d, int k, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int v = ref MemoryMarshal.GetArrayDataReference(buf.V);
        ref long hv = ref MemoryMarshal.GetArrayDataReference(buf.H);
        ref long zn = ref MemoryMarshal.GetArrayDataReference(buf.Zn);
        ref long zd = ref MemoryMarshal.GetArrayDataReference(buf.Zd);
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

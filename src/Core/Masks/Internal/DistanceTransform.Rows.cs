using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace SegPlugins.Core.Masks.Internal;

/// <summary>Row phase of the transform: the lower envelope of parabolas per row, over candidate columns only.</summary>
internal static partial class DistanceTransform
{
    /// <summary>Per-thread scratch for <see cref="RowEnvelope"/>, sized for one row; carries one row's envelope to the next.</summary>
    internal sealed class EnvelopeBuffers
    {
        /// <summary>Envelope columns of this row and of the previous row processed (<see cref="PrevK"/> + 1 of them).</summary>
        public int[] V, PrevV;
        public readonly int[] Start, H32;
        public readonly long[] H, Zn, Zd;
        public readonly ulong[] Candidates, Drop;
        /// <summary>Index of the previous row's last envelope column; -1 when there is none to learn from.</summary>
        public int PrevK = -1;
        /// <summary>Whether the 32-bit pruning test is exact: 2g² + 2·2² stays below 2^31 for g up to 23170.</summary>
        public readonly bool Prune;
        /// <summary>Whether every squared distance on a row fits an int, so segments can be written with int vectors.</summary>
        public readonly bool IntValues;

        public EnvelopeBuffers(int width, int gMax)
        {
            V = new int[width + 2];
            PrevV = new int[width + 2];
            Start = new int[width + 3];
            H32 = new int[width + 10];
            H = new long[width + 2];
            Zn = new long[width + 2];
            Zd = new long[width + 2];
            Candidates = new ulong[(width >> 6) + 2];
            Drop = new ulong[(width >> 6) + 2];
            Prune = gMax <= 23170;
            IntValues = (long)(width + 1) * (width + 1) + (long)gMax * gMax <= int.MaxValue;
        }
    }

    /// <summary>
    /// Row phase: d(x) = min over x' of (x - x')² + g(x')², as the lower envelope of one parabola per column
    /// (Felzenszwalb and Huttenlocher). Parabola q is kept as h = g² + q², so two of them cross at
    /// (h_q - h_p) / (2(q - p)), held as an exact fraction and compared by cross-multiplication.
    /// Only candidate columns enter the envelope, found with vectors and walked as set bits, which keeps the
    /// sequential, branchy part of the work to columns that may matter: columns within the cap that are not inside
    /// a run of targets (<see cref="BasicCandidates"/>), less those the previous row's envelope shows to be hidden
    /// (<see cref="WitnessPrune"/>), or on a first row those a local test shows to be hidden (<see cref="MarkCandidates"/>).
    /// With <paramref name="border"/>, columns -1 and width are targets.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RowEnvelope(ReadOnlySpan<ushort> g, int cap, bool border, Span<float> d, EnvelopeBuffers buf)
    {
        int n = g.Length;
        if (buf.V.Length < n + 2) throw new ArgumentException("envelope buffers too small");
        int limit = Math.Min(cap, NoTarget - 1);
        int words;
        if (buf.PrevK >= 1 && buf.IntValues)
        {
            var kind = BasicCandidates(g, limit, buf.Candidates, out words);
            if (!border && kind != RowKind.Mixed)
            {
                // Whole-row shortcuts: all target, or nothing within reach.
                if (kind == RowKind.AllTarget) d.Clear(); else d.Fill(Infinity);
                return;
            }
            WitnessPrune(g, limit, buf);
        }
        else
        {
            if (!border)
            {
                if (g.IndexOfAnyExcept((ushort)0) < 0) { d.Clear(); return; }
                if (g.IndexOfAnyInRange((ushort)0, (ushort)limit) < 0) { d.Fill(Infinity); return; }
            }
            words = MarkCandidates(g, limit, buf.Prune, buf.Candidates);
        }
        int k = Hull(g, border, words, buf);
        // This row's columns become the next row's witnesses.
        (buf.V, buf.PrevV) = (buf.PrevV, buf.V);
        buf.PrevK = k;
        if (k < 0) { d.Fill(Infinity); return; }
        if (buf.IntValues) WriteSegments(g, d, k, buf.PrevV, buf);
        else WritePixels(g, d, k, buf.PrevV, buf);
    }

    private enum RowKind { Mixed, AllTarget, NoneInReach }

    /// <summary>
    /// Sets bit q of <paramref name="bitsArr"/> for every column within the cap that is not inside a run of
    /// targets (a run end is at least as near to every pixel outside the run, and pixels inside are 0; the first
    /// and last columns count as run ends). Also tells whether the whole row is target or out of reach.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static RowKind BasicCandidates(ReadOnlySpan<ushort> g, int limit, ulong[] bitsArr, out int words)
    {
        int n = g.Length;
        words = (n + 63) >> 6;
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(bitsArr);
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        // Zero and in-reach flags 64 columns at a time; inside a zero run means zero with zero neighbours on both
        // sides, Z & Z<<1 & Z>>1 across words, so a word is finished once the next one is known.
        ulong allZero = ulong.MaxValue, anyReach = 0;
        ulong z2 = 0, z1 = 0, l1 = 0;
        for (int w = 0; w <= words; w++)
        {
            ulong z = 0, l = 0;
            if (w < words)
            {
                int x0 = w << 6;
                int cnt = Math.Min(64, n - x0);
                int i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var lim = Vector256.Create((ushort)limit);
                    for (; i <= cnt - 32; i += 32)
                    {
                        var c0 = Vector256.LoadUnsafe(ref gr, (nuint)(x0 + i));
                        var c1 = Vector256.LoadUnsafe(ref gr, (nuint)(x0 + i + 16));
                        ulong zz = Vector256.Narrow(Vector256.Equals(c0, Vector256<ushort>.Zero), Vector256.Equals(c1, Vector256<ushort>.Zero)).ExtractMostSignificantBits();
                        ulong ll = Vector256.Narrow(Vector256.LessThanOrEqual(c0, lim), Vector256.LessThanOrEqual(c1, lim)).ExtractMostSignificantBits();
                        z |= zz << i;
                        l |= ll << i;
                    }
                }
                else if (Vector128.IsHardwareAccelerated)
                {
                    var lim = Vector128.Create((ushort)limit);
                    for (; i <= cnt - 16; i += 16)
                    {
                        var c0 = Vector128.LoadUnsafe(ref gr, (nuint)(x0 + i));
                        var c1 = Vector128.LoadUnsafe(ref gr, (nuint)(x0 + i + 8));
                        ulong zz = Vector128.Narrow(Vector128.Equals(c0, Vector128<ushort>.Zero), Vector128.Equals(c1, Vector128<ushort>.Zero)).ExtractMostSignificantBits();
                        ulong ll = Vector128.Narrow(Vector128.LessThanOrEqual(c0, lim), Vector128.LessThanOrEqual(c1, lim)).ExtractMostSignificantBits();
                        z |= zz << i;
                        l |= ll << i;
                    }
                }
                for (; i < cnt; i++)
                {
                    int gv = Unsafe.Add(ref gr, x0 + i);
                    if (gv == 0) z |= 1UL << i;
                    if (gv <= limit) l |= 1UL << i;
                }
                allZero &= z | (cnt == 64 ? 0 : ~((1UL << cnt) - 1));
                anyReach |= l;
            }
            if (w > 0)
            {
                // Columns -1 and n count as non-zero, so the first and last columns are never inside a run.
                ulong inside = z1 & ((z1 << 1) | (z2 >> 63)) & ((z1 >> 1) | (z << 63));
                Unsafe.Add(ref bits, w - 1) = l1 & ~inside;
            }
            z2 = z1; z1 = z; l1 = l;
        }
        return allZero == ulong.MaxValue ? RowKind.AllTarget : anyReach == 0 ? RowKind.NoneInReach : RowKind.Mixed;
    }

    /// <summary>
    /// Clears the candidates that the previous row's envelope shows to be hidden. For consecutive envelope
    /// columns a &lt; b of the previous row, a column q between them whose point (q, h_q) lies on or above the chord
    /// from (a, h_a) to (b, h_b), with this row's h, has a parabola nowhere below both partners' (h = g² + q²
    /// makes the parabolas' values at any x affine in h and q), so leaving it out changes no minimum; where it ties
    /// for the minimum both partners tie too, so the leftmost column reaching the minimum is never left out. Any two
    /// columns within the cap serve as such witnesses; neighbouring rows' envelopes differ little, so the previous
    /// row's columns leave hardly more candidates than this row's envelope has.
    /// The test (b - a)·h_q &gt;= c0 + c1·q is exact in doubles: every term is an integer below 2^53 for rows below 2^16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WitnessPrune(ReadOnlySpan<ushort> g, int limit, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ulong bits = ref MemoryMarshal.GetArrayDataReference(buf.Candidates);
        ref ulong dropWords = ref MemoryMarshal.GetArrayDataReference(buf.Drop);
        ref byte drop = ref Unsafe.As<ulong, byte>(ref dropWords);
        ref byte basic = ref Unsafe.As<ulong, byte>(ref bits);
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int pv = ref MemoryMarshal.GetArrayDataReference(buf.PrevV);
        // hc[c + 1] = g_c² + c² for columns c = -1..n (the border columns -1 and n are targets), -1 beyond the cap.
        ref int hc = ref MemoryMarshal.GetArrayDataReference(buf.H32);
        hc = 1;
        Unsafe.Add(ref hc, n + 1) = n * n;
        ref int h32 = ref Unsafe.Add(ref hc, 1);
        RowH(g, limit, buf.H32.AsSpan(1, n));
        // The previous row's neighbouring columns with something between them, gathered without branches.
        ref int pairs = ref MemoryMarshal.GetArrayDataReference(buf.Start);
        int np = 0;
        for (int i = 0; i < buf.PrevK; i++)
        {
            Unsafe.Add(ref pairs, np) = i;
            np += Unsafe.Add(ref pv, i + 1) - Unsafe.Add(ref pv, i) > 1 ? 1 : 0;
        }
        // Doubles from small non-negative integers: OR the bits into 2^52's mantissa, subtract 2^52.
        var magic = Vector256.Create(0x4330000000000000UL);
        var magicD = Vector256.Create(4503599627370496.0);
        var iota = Vector256.Create(0.0, 1.0, 2.0, 3.0);
        for (int p = 0; p < np; p++)
        {
            int i = Unsafe.Add(ref pairs, p);
            int a = Unsafe.Add(ref pv, i), b = Unsafe.Add(ref pv, i + 1);
            long ha = Unsafe.Add(ref hc, a + 1), hb = Unsafe.Add(ref hc, b + 1);
            if ((ha | hb) < 0) continue;
            long A = b - a, c0 = b * ha - a * hb, c1 = hb - ha;
            int qEnd = Math.Min(b, n);
            if (Vector256.IsHardwareAccelerated)
            {
                // 8 columns per step at multiples of 8, so each step owns one byte of the drop bits; the steps at
                // either end share their byte with the neighbouring interval and mask their lanes.
                int q = (a + 1) & ~7;
                var av = Vector256.Create((double)A);
                var c1v = Vector256.Create((double)c1);
                var r0 = Vector256.Create((double)c0) + c1v * (Vector256.Create((double)q) + iota);
                var r1 = r0 + c1v * Vector256.Create(4.0);
                var step = c1v * Vector256.Create(8.0);
                int valid = 0xFF << ((a + 1) & 7);
                for (; q < qEnd; q += 8)
                {
                    if (Unsafe.Add(ref basic, q >> 3) != 0)
                    {
                        var hv = Vector256.LoadUnsafe(ref h32, (nuint)q).AsUInt32();
                        var d0 = (Vector256.WidenLower(hv) | magic).AsDouble() - magicD;
                        var d1 = (Vector256.WidenUpper(hv) | magic).AsDouble() - magicD;
                        uint m = Vector256.GreaterThanOrEqual(av * d0, r0).ExtractMostSignificantBits()
                               | (Vector256.GreaterThanOrEqual(av * d1, r1).ExtractMostSignificantBits() << 4);
                        int over = q + 8 - qEnd;
                        if (over > 0) valid &= 0xFF >> over;
                        Unsafe.Add(ref drop, q >> 3) |= (byte)(m & valid);
                    }
                    valid = 0xFF;
                    r0 += step;
                    r1 += step;
                }
            }
            else
            {
                for (int q = a + 1; q < qEnd; q++)
                {
                    long hq = Unsafe.Add(ref h32, q);
                    if (hq >= 0 && A * hq >= c0 + c1 * q) Unsafe.Add(ref dropWords, q >> 6) |= 1UL << (q & 63);
                }
            }
        }
        int words = (n + 63) >> 6;
        for (int w = 0; w < words; w++)
        {
            Unsafe.Add(ref bits, w) &= ~Unsafe.Add(ref dropWords, w);
            Unsafe.Add(ref dropWords, w) = 0;
        }
    }

    /// <summary>h = g² + q² per column, -1 beyond the cap; IntValues guarantees these fit an int.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowH(ReadOnlySpan<ushort> g, int limit, Span<int> h)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int hr = ref MemoryMarshal.GetReference(h);
        int q = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var qq = Vector256.Create(0, 1, 4, 9, 16, 25, 36, 49);
            var dq = Vector256.Create(64, 80, 96, 112, 128, 144, 160, 176); // (q + 8)² - q² = 16q + 64
            var dd = Vector256.Create(128);
            var lim = Vector256.Create(limit);
            for (; q <= n - 8; q += 8)
            {
                var gv = Vector256.WidenLower(Vector128.LoadUnsafe(ref gr, (nuint)q).ToVector256Unsafe()).AsInt32();
                ((gv * gv + qq) | Vector256.GreaterThan(gv, lim)).StoreUnsafe(ref hr, (nuint)q);
                qq += dq;
                dq += dd;
            }
        }
        for (; q < n; q++) { int gq = Unsafe.Add(ref gr, q); Unsafe.Add(ref hr, q) = gq <= limit ? gq * gq + q * q : -1; }
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
    /// The lower envelope of the candidate columns' parabolas, as a stack of columns in <see cref="EnvelopeBuffers.V"/>
    /// (with h and the breakpoint fraction to the previous one); returns the top index, -1 when empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Hull(ReadOnlySpan<ushort> g, bool border, int words, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
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
        return k;
    }

    /// <summary>
    /// Writes the envelope segment by segment: segment j covers the integers x with z_j &lt; x &lt;= z_{j+1}, so it
    /// starts at floor(z_j) + 1. The floor comes from a double division, which is exact here: |zn| &lt; 2^53, and a
    /// non-integer quotient a/b lies at least 1/b from an integer, far more than its rounding error. Values are
    /// (x - v)² + g_v² in ints (the caller checked they fit) and round to float as the long form did.
    /// Whole vectors may run past a segment's end, as the next segment rewrites those pixels. Pixels inside a run
    /// of targets, whose columns were left out, lie between the run's two ends, which are consecutive on the
    /// stack (a target column is the only one at distance 0 from itself, so it is never hidden): they are zeroed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteSegments(ReadOnlySpan<ushort> g, Span<float> d, int k, int[] varr, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int v = ref MemoryMarshal.GetArrayDataReference(varr);
        ref long hv = ref MemoryMarshal.GetArrayDataReference(buf.H);
        ref long zn = ref MemoryMarshal.GetArrayDataReference(buf.Zn);
        ref long zd = ref MemoryMarshal.GetArrayDataReference(buf.Zd);
        ref int st = ref MemoryMarshal.GetArrayDataReference(buf.Start);
        int i = 1;
        if (Vector256.IsHardwareAccelerated)
        {
            // Longs below 2^51 in magnitude to doubles: add them into the mantissa of 1.5·2^52 and subtract it.
            var magicL = Vector256.Create(0x4338000000000000L);
            var magicD = Vector256.Create(6755399441055744.0);
            var one = Vector256.Create(1.0);
            var zero = Vector256<double>.Zero;
            var top = Vector256.Create((double)n);
            for (; i <= k - 7; i += 8)
            {
                var f0 = Vector256.Floor(((Vector256.LoadUnsafe(ref zn, (nuint)i) + magicL).AsDouble() - magicD) / ((Vector256.LoadUnsafe(ref zd, (nuint)i) + magicL).AsDouble() - magicD)) + one;
                var f1 = Vector256.Floor(((Vector256.LoadUnsafe(ref zn, (nuint)(i + 4)) + magicL).AsDouble() - magicD) / ((Vector256.LoadUnsafe(ref zd, (nuint)(i + 4)) + magicL).AsDouble() - magicD)) + one;
                // Back to ints the same way: clamped to [0, n], the low 32 bits of f + 1.5·2^52 are f.
                var i0 = (Vector256.Min(Vector256.Max(f0, zero), top) + magicD).AsUInt64();
                var i1 = (Vector256.Min(Vector256.Max(f1, zero), top) + magicD).AsUInt64();
                Vector256.Narrow(i0, i1).AsInt32().StoreUnsafe(ref st, (nuint)i);
            }
        }
        for (; i <= k; i++)
        {
            double f = Math.Floor((double)Unsafe.Add(ref zn, i) / Unsafe.Add(ref zd, i)) + 1;
            Unsafe.Add(ref st, i) = (int)Math.Clamp(f, 0, n);
        }
        Unsafe.Add(ref st, k + 1) = n;
        ref float dr = ref MemoryMarshal.GetReference(d);
        int x = 0, j = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            // Every segment stores two vectors from x unconditionally (an empty or short segment's stores are
            // rewritten by the segments that own those pixels), more only when it is longer, which keeps the
            // unpredictable length test off most segments; stores are clamped to end at the row's end.
            int lastVec = n - 8;
            var iota = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (; j <= k && x <= lastVec; j++)
            {
                int e = Unsafe.Add(ref st, j + 1);
                int vj = Unsafe.Add(ref v, j);
                int g2 = (int)(Unsafe.Add(ref hv, j) - (long)vj * vj);
                if (g2 == 0 && j < k && (uint)(vj + 1) < (uint)n && Unsafe.Add(ref gr, vj + 1) == 0 && Unsafe.Add(ref v, j + 1) > vj + 1)
                {
                    // vj starts a run of targets whose far end is the next column on the stack.
                    int end = Unsafe.Add(ref v, j + 1);
                    Fill(ref dr, x, vj, vj, 0, n);
                    d.Slice(vj, end - vj + 1).Clear();
                    x = end + 1;
                    continue;
                }
                var off = iota - Vector256.Create(vj);
                var g2v = Vector256.Create(g2);
                var dx = Vector256.Create(x) + off;
                Vector256.ConvertToSingle(dx * dx + g2v).StoreUnsafe(ref dr, (nuint)x);
                int x2 = Math.Min(x + 8, lastVec);
                dx = Vector256.Create(x2) + off;
                Vector256.ConvertToSingle(dx * dx + g2v).StoreUnsafe(ref dr, (nuint)x2);
                for (int xx = x + 16; xx < e; xx += 8)
                {
                    int at = Math.Min(xx, lastVec);
                    dx = Vector256.Create(at) + off;
                    Vector256.ConvertToSingle(dx * dx + g2v).StoreUnsafe(ref dr, (nuint)at);
                }
                x = Math.Max(x, e);
            }
        }
        for (; j <= k; j++)
        {
            int e = Unsafe.Add(ref st, j + 1);
            if (e <= x) continue;
            int vj = Unsafe.Add(ref v, j);
            int g2 = (int)(Unsafe.Add(ref hv, j) - (long)vj * vj);
            if (g2 == 0 && j < k && (uint)(vj + 1) < (uint)n && Unsafe.Add(ref gr, vj + 1) == 0 && Unsafe.Add(ref v, j + 1) > vj + 1)
            {
                int end = Unsafe.Add(ref v, j + 1);
                Fill(ref dr, x, vj, vj, 0, n);
                d.Slice(vj, end - vj + 1).Clear();
                x = end + 1;
                continue;
            }
            Fill(ref dr, x, e, vj, g2, n);
            x = e;
        }
    }

    /// <summary>Writes (x - vj)² + g2 for x in [x, e); vectors may spill past e but never past the row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fill(ref float dr, int x, int e, int vj, int g2, int n)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var off = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) - Vector256.Create(vj);
            var g2v = Vector256.Create(g2);
            int stop = Math.Min(e, n - 8);
            for (; x < stop; x += 8)
            {
                var dx = Vector256.Create(x) + off;
                Vector256.ConvertToSingle(dx * dx + g2v).StoreUnsafe(ref dr, (nuint)x);
            }
        }
        for (; x < e; x++)
        {
            int dx = x - vj;
            Unsafe.Add(ref dr, x) = dx * dx + g2;
        }
    }

    /// <summary>The envelope written pixel by pixel in longs, for rows whose squared distances may pass 2^31.</summary>
    private static void WritePixels(ReadOnlySpan<ushort> g, Span<float> d, int k, int[] varr, EnvelopeBuffers buf)
    {
        int n = g.Length;
        ref ushort gr = ref MemoryMarshal.GetReference(g);
        ref int v = ref MemoryMarshal.GetArrayDataReference(varr);
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
}

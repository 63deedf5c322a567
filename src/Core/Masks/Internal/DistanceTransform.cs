using System.Buffers;
using System.Collections.Concurrent;
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
/// which walk memory row by row instead of down columns, here band by band in cache. The row phase only hands the
/// envelope the columns that may be on it: neighbouring rows have nearly the same envelope, so the previous row's
/// envelope columns rule out almost every other column with one vectorised, exact chord test per column.
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
        if (mask.Overlaps(MemoryMarshal.AsBytes(result)))
            throw new ArgumentException("mask and result must not overlap");
        if (height >= NoTarget - 1)
        {
            SquaredDistanceTall(mask, width, height, targetIsSet, borderIsTarget, result);
            return;
        }
        if (width <= 0 || height <= 0) return;
        // Vertical distances fit 16 bits here. The image is cut into bands of rows small enough that a band's
        // downward distances stay in the core's cache: a first pass notes, per band and column, the topmost and
        // bottommost target rows, from which every band knows the nearest target above and below it; then each
        // band runs its own downward sweep into a band buffer and its upward sweep row by row, handing each
        // finished row straight to the row phase. No image-sized intermediate is written.
        int cap = maxDistance >= NoTarget ? NoTarget : maxDistance;
        // Bands of at most 255 rows, so that a row within a band fits a byte.
        int bandRows = Math.Min(height, Math.Clamp(BandBufferBytes / (2 * width), 4, 255));
        int bands = (height + bandRows - 1) / bandRows;
        var topRows = ArrayPool<byte>.Shared.Rent(bands * width);
        var bottomRows = ArrayPool<byte>.Shared.Rent(bands * width);
        var above = ArrayPool<ushort>.Shared.Rent(bands * width);
        var below = ArrayPool<ushort>.Shared.Rent(bands * width);
        try
        {
            fixed (byte* mp = mask)
            fixed (float* rp = result)
            {
                nint m = (nint)mp, r = (nint)rp;
                ParallelRows.For(bands, (long)width * bandRows / 2, (b0, b1) =>
                {
                    for (int b = b0; b < b1; b++)
                        BandTargets((byte*)m, width, b * bandRows, Math.Min(height, (b + 1) * bandRows), targetIsSet,
                            topRows.AsSpan(b * width, width), bottomRows.AsSpan(b * width, width));
                });
                NearestOutsideBands(topRows, bottomRows, above, below, bands, bandRows, width);
                // Column distances never exceed the height (or the cap), which decides the arithmetic the rows may use.
                int gMax = Math.Min(Math.Min(cap, NoTarget - 1), height);
                // Bands above and below a shape cost several times those across it: fine chunks even the cores out,
                // and each chunk start only costs one row without a previous row to prune by.
                ParallelRows.For(bands, (long)width * bandRows * 8, (b0, b1) =>
                {
                    var scratch = BandScratch.Take(width, gMax, bandRows);
                    var buffers = scratch.Envelope;
                    buffers.PrevK = -1;
                    ushort[] down = scratch.Down, up = scratch.Up, gr = scratch.Column;
                    // Bottom band first, so that each row's envelope columns can serve the row above it.
                    for (int b = b1 - 1; b >= b0; b--)
                    {
                        int y0 = b * bandRows, y1 = Math.Min(height, y0 + bandRows);
                        DownBand((byte*)m, width, y0, y1, targetIsSet, borderIsTarget, above.AsSpan(b * width, width), down);
                        UpStart(below.AsSpan(b * width, width), width, height, y1, borderIsTarget, up);
                        for (int y = y1 - 1; y >= y0; y--)
                        {
                            UpStep(new ReadOnlySpan<ushort>(down, (y - y0 + 1) * width, width), up, gr);
                            var row = new Span<float>((float*)r + (long)y * width, width);
                            RowEnvelope(gr, cap, borderIsTarget, row, buffers);
                        }
                    }
                    BandScratch.Give(scratch);
                }, chunksPerCore: 16);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(topRows);
            ArrayPool<byte>.Shared.Return(bottomRows);
            ArrayPool<ushort>.Shared.Return(above);
            ArrayPool<ushort>.Shared.Return(below);
        }
    }

    /// <summary>
    /// One worker's buffers for the band pass, handed from chunk to chunk and kept between calls (a few, for the
    /// last sizes used), so that repeated transforms allocate nothing.
    /// </summary>
    private sealed class BandScratch(int width, int gMax, int bandRows)
    {
        private static readonly ConcurrentBag<BandScratch> Spare = new();
        private readonly int _width = width, _gMax = gMax, _bandRows = bandRows;
        public readonly EnvelopeBuffers Envelope = new(width, gMax);
        /// <summary>A band's downward distances, after the row above the band.</summary>
        public readonly ushort[] Down = GC.AllocateUninitializedArray<ushort>((bandRows + 1) * width);
        public readonly ushort[] Up = new ushort[width], Column = new ushort[width];

        public static BandScratch Take(int width, int gMax, int bandRows)
        {
            while (Spare.TryTake(out var s))
                if (s._width == width && s._gMax == gMax && s._bandRows == bandRows) return s;
            return new BandScratch(width, gMax, bandRows);
        }

        public static void Give(BandScratch s)
        {
            if (Spare.Count < 2 * Environment.ProcessorCount) Spare.Add(s);
        }
    }

    /// <summary>Size of one band's downward distances, chosen to stay in a core's L2 cache.</summary>
    private const int BandBufferBytes = 192 * 1024;

    /// <summary>
    /// For rows [y0, y1) (at most 255): per column the topmost target row - y0 into <paramref name="top"/> (255: none)
    /// and the bottommost target row - y0 + 1 into <paramref name="bottom"/> (0: none).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void BandTargets(byte* mask, int width, int y0, int y1, bool targetIsSet, Span<byte> top, Span<byte> bottom)
    {
        top.Fill(byte.MaxValue);
        bottom.Clear();
        ref byte t0 = ref MemoryMarshal.GetReference(top);
        ref byte b0 = ref MemoryMarshal.GetReference(bottom);
        int bn = Vector<byte>.Count;
        for (int y = y0; y < y1; y++)
        {
            ref byte mr = ref *(mask + (nint)y * width);
            byte r = (byte)(y - y0);
            var rv = new Vector<byte>(r);
            var r1v = new Vector<byte>((byte)(r + 1));
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= width - bn; x += bn)
                {
                    var isZero = Vector.Equals(Vector.LoadUnsafe(ref mr, (nuint)x), Vector<byte>.Zero);
                    var isTarget = targetIsSet ? ~isZero : isZero;
                    // Rows only grow: the minimum over target rows is the topmost, the maximum the bottommost.
                    Vector.Min(Vector.LoadUnsafe(ref t0, (nuint)x), rv | ~isTarget).StoreUnsafe(ref t0, (nuint)x);
                    Vector.Max(Vector.LoadUnsafe(ref b0, (nuint)x), r1v & isTarget).StoreUnsafe(ref b0, (nuint)x);
                }
            }
            for (; x < width; x++)
            {
                if ((Unsafe.Add(ref mr, x) != 0) != targetIsSet) continue;
                if (Unsafe.Add(ref t0, x) == byte.MaxValue) Unsafe.Add(ref t0, x) = r;
                Unsafe.Add(ref b0, x) = (byte)(r + 1);
            }
        }
    }

    /// <summary>
    /// From the per-band target rows, per band and column the nearest target row above the band
    /// (<paramref name="above"/>, as row + 1, 0: none) and below it (<paramref name="below"/>, NoTarget: none).
    /// </summary>
    private static void NearestOutsideBands(byte[] topRows, byte[] bottomRows, ushort[] above, ushort[] below, int bands, int bandRows, int width)
    {
        var carry = new ushort[width];
        int un = Vector<ushort>.Count;
        for (int b = 0; b < bands; b++)
        {
            // Bands further down hold larger rows, so the running maximum is the nearest target above.
            var t = bottomRows.AsSpan(b * width, width);
            var a = above.AsSpan(b * width, width);
            ushort y0 = (ushort)(b * bandRows);
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var y0v = new Vector<ushort>(y0);
                for (; x <= width - 2 * un; x += 2 * un)
                {
                    Vector.Widen(new Vector<byte>(t.Slice(x)), out var lo, out var hi);
                    var c0 = new Vector<ushort>(carry, x);
                    var c1 = new Vector<ushort>(carry, x + un);
                    c0.CopyTo(a.Slice(x));
                    c1.CopyTo(a.Slice(x + un));
                    Vector.Max(c0, (lo + y0v) & ~Vector.Equals(lo, Vector<ushort>.Zero)).CopyTo(carry, x);
                    Vector.Max(c1, (hi + y0v) & ~Vector.Equals(hi, Vector<ushort>.Zero)).CopyTo(carry, x + un);
                }
            }
            for (; x < width; x++)
            {
                a[x] = carry[x];
                if (t[x] != 0) carry[x] = (ushort)(y0 + t[x]);
            }
        }
        carry.AsSpan().Fill(NoTarget);
        for (int b = bands - 1; b >= 0; b--)
        {
            // And the running minimum from below, the nearest target below.
            var t = topRows.AsSpan(b * width, width);
            var d = below.AsSpan(b * width, width);
            ushort y0 = (ushort)(b * bandRows);
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                var y0v = new Vector<ushort>(y0);
                var none = new Vector<ushort>(byte.MaxValue);
                for (; x <= width - 2 * un; x += 2 * un)
                {
                    Vector.Widen(new Vector<byte>(t.Slice(x)), out var lo, out var hi);
                    var c0 = new Vector<ushort>(carry, x);
                    var c1 = new Vector<ushort>(carry, x + un);
                    c0.CopyTo(d.Slice(x));
                    c1.CopyTo(d.Slice(x + un));
                    Vector.Min(c0, (lo + y0v) | Vector.Equals(lo, none)).CopyTo(carry, x);
                    Vector.Min(c1, (hi + y0v) | Vector.Equals(hi, none)).CopyTo(carry, x + un);
                }
            }
            for (; x < width; x++)
            {
                d[x] = carry[x];
                if (t[x] != byte.MaxValue) carry[x] = (ushort)(y0 + t[x]);
            }
        }
    }

    /// <summary>
    /// Downward sweep over rows [y0, y1): row y - y0 + 1 of <paramref name="down"/> gets the rows since the nearest
    /// target at or above (NoTarget: none; with a border, row -1 is a target), starting from the nearest target
    /// above the band (<paramref name="above"/>, row + 1 or 0); row 0 of the buffer holds the row above the band.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DownBand(byte* mask, int width, int y0, int y1, bool targetIsSet, bool borderIsTarget, ReadOnlySpan<ushort> above, ushort[] down)
    {
        ref ushort g0 = ref MemoryMarshal.GetArrayDataReference(down);
        ushort none = borderIsTarget ? (ushort)y0 : (ushort)NoTarget;
        for (int x = 0; x < width; x++)
        {
            int a = above[x];
            Unsafe.Add(ref g0, x) = a != 0 ? (ushort)(y0 - a) : none;
        }
        var noTarget = new Vector<ushort>(NoTarget);
        var most = new Vector<ushort>(NoTarget - 1);
        var one = new Vector<ushort>(1);
        int bn = Vector<byte>.Count, un = Vector<ushort>.Count;
        for (int y = y0; y < y1; y++)
        {
            ref byte mr = ref *(mask + (nint)y * width);
            ref ushort prev = ref Unsafe.Add(ref g0, (nint)(y - y0) * width);
            ref ushort gr = ref Unsafe.Add(ref prev, width);
            int x = 0;
            if (Vector.IsHardwareAccelerated)
            {
                for (; x <= width - bn; x += bn)
                {
                    var isZero = Vector.AsVectorSByte(Vector.Equals(Vector.LoadUnsafe(ref mr, (nuint)x), Vector<byte>.Zero));
                    var isTarget = targetIsSet ? ~isZero : isZero;
                    Vector.Widen(isTarget, out var tLo, out var tHi);
                    DownStep(ref gr, ref prev, x, Vector.AsVectorUInt16(tLo), noTarget, most, one);
                    DownStep(ref gr, ref prev, x + un, Vector.AsVectorUInt16(tHi), noTarget, most, one);
                }
            }
            for (; x < width; x++)
            {
                bool target = (Unsafe.Add(ref mr, x) != 0) == targetIsSet;
                int p = Unsafe.Add(ref prev, x);
                int inc = p == NoTarget ? NoTarget : Math.Min(p + 1, NoTarget - 1);
                Unsafe.Add(ref gr, x) = target ? (ushort)0 : (ushort)inc;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DownStep(ref ushort gr, ref ushort prev, int x, Vector<ushort> isTarget, Vector<ushort> noTarget, Vector<ushort> most, Vector<ushort> one)
    {
        var p = Vector.LoadUnsafe(ref prev, (nuint)x);
        var inc = Vector.ConditionalSelect(Vector.Equals(p, noTarget), noTarget, Vector.Min(p + one, most));
        Vector.AndNot(inc, isTarget).StoreUnsafe(ref gr, (nuint)x);
    }

    /// <summary>
    /// Upward distances at row <paramref name="y1"/>, just below a band, from the nearest target row below the band
    /// (<paramref name="below"/>, NoTarget: none); the bottom border sits at row height.
    /// </summary>
    private static void UpStart(ReadOnlySpan<ushort> below, int width, int height, int y1, bool borderIsTarget, ushort[] up)
    {
        for (int x = 0; x < width; x++)
            up[x] = below[x] != NoTarget ? (ushort)(below[x] - y1) : borderIsTarget ? (ushort)(height - y1) : (ushort)NoTarget;
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

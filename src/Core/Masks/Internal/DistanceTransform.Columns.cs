using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace SegPlugins.Core.Masks.Internal;

/// <summary>Column phase of the transform: per-column vertical distances, by bands in cache (the running-count sweeps of Meijster et al.).</summary>
internal static partial class DistanceTransform
{
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
}

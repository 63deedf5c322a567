using System.Numerics;
using System.Runtime.CompilerServices;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// In-place box blurs on interleaved 8-bit planes (1 channel for masks, 4 for BGRA), clamp-to-edge.
/// Three equal boxes of radius r approximate a Gaussian with variance 3 * ((2r+1)² - 1) / 12 = r(r+1)
/// (central limit theorem), so r is chosen with r(r+1) ≈ σ². Running sums make the cost independent of r.
/// Each pass rounds to the nearest byte; constant areas stay exactly constant.
/// </summary>
internal static class BoxBlur
{
    /// <summary>Box radius per pass so that three passes have variance ≈ sigma².</summary>
    public static int RadiusForSigma(double sigma)
    {
        if (!(sigma > 0)) return 0;
        return Math.Max(1, (int)Math.Round((Math.Sqrt(1 + 4 * sigma * sigma) - 1) / 2));
    }

    /// <summary>Blurs rows [0,height) of <paramref name="width"/> pixels, <paramref name="channels"/> bytes each, at <paramref name="stride"/>.</summary>
    public static unsafe void Blur(byte[] data, int offset, int stride, int width, int height, int channels, int radius, int passes)
    {
        if (radius <= 0 || passes <= 0) return;
        // Radii beyond twice the image size are treated as that size: the result is then close to the image mean
        // anyway, and the cap bounds the start-up sums.
        int rh = Math.Min(radius, 2 * Math.Max(width, height)), rv = rh;
        fixed (byte* p0 = data)
        {
            nint basePtr = (nint)(p0 + offset);
            for (int pass = 0; pass < passes; pass++)
            {
                ParallelRows.For(height, (long)width * channels * 2, (y0, y1) =>
                {
                    var tmp = new byte[width * channels];
                    for (int y = y0; y < y1; y++)
                        HorizontalRow((byte*)basePtr + (long)y * stride, width, channels, rh, tmp);
                });
                int rowBytes = width * channels;
                int strips = Math.Max(1, Math.Min(width / 32, Environment.ProcessorCount * 2));
                ParallelRows.For(strips, (long)rowBytes * height / strips * 2, (s0, s1) =>
                {
                    for (int s = s0; s < s1; s++)
                    {
                        int c0 = (int)((long)width * s / strips) * channels;
                        int c1 = (int)((long)width * (s + 1) / strips) * channels;
                        if (c1 > c0) VerticalStrip((byte*)basePtr, stride, height, c0, c1, rv);
                    }
                });
            }
        }
    }

    // 32-bit fixed point: sum·mul stays below 2^40 and the rounding error below half a level for any capped radius.
    /// <summary>One-channel blur of a small buffer with a radius that is not capped to the buffer size, single-threaded.</summary>
    /// <remarks>Working buffers come from <paramref name="scratch"/>, so a caller blurring many windows allocates once.</remarks>
    public static unsafe void BlurExact(byte[] data, int width, int height, int radius, int passes, Scratch scratch)
    {
        var tmp = Scratch.Grow(ref scratch.Row, width);
        fixed (byte* p = data)
        {
            for (int pass = 0; pass < passes; pass++)
            {
                for (int y = 0; y < height; y++) HorizontalRow(p + (long)y * width, width, 1, radius, tmp);
                VerticalStrip(p, width, height, 0, width, radius, scratch);
            }
        }
    }

    /// <summary>Reusable working buffers for <see cref="BlurExact"/>; one per thread.</summary>
    internal sealed class Scratch
    {
        internal byte[] Row = [], Ring = [], First = [];
        internal long[] Sums = [];
        internal uint[] VectorSums = [];

        internal static T[] Grow<T>(ref T[] a, int n)
        {
            if (a.Length < n) a = new T[n];
            return a;
        }
    }

    private static ulong Multiplier(int r) { ulong d = (ulong)(2 * r + 1); return ((1UL << 32) + d / 2) / d; }

    private static unsafe void HorizontalRow(byte* row, int width, int channels, int r, byte[] tmp)
    {
        new ReadOnlySpan<byte>(row, width * channels).CopyTo(tmp);
        ulong mul = Multiplier(r);
        const ulong half = 1UL << 31;
        int last = width - 1;
        if (channels == 1 && 2 * r + 1 <= width)
        {
            HorizontalPlain(row, width, r, tmp, mul);
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            long sum = 0;
            for (int k = -r; k <= r; k++) sum += tmp[Math.Clamp(k, 0, last) * channels + c];
            for (int x = 0; x < width; x++)
            {
                row[x * channels + c] = (byte)(((ulong)sum * mul + half) >> 32);
                int add = x + r + 1; if (add > last) add = last;
                int sub = x - r; if (sub < 0) sub = 0;
                sum += tmp[add * channels + c] - tmp[sub * channels + c];
            }
        }
    }

    /// <summary>One channel, window no wider than the row: the clamped ends and the plain middle in separate loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalPlain(byte* row, int width, int r, byte[] tmp, ulong mul)
    {
        const ulong half = 1UL << 31;
        int last = width - 1;
        fixed (byte* t = tmp)
        {
            long sum = (long)r * t[0];
            for (int k = 0; k <= r; k++) sum += t[k];
            int x = 0;
            // Left end: the window's left edge is clamped to column 0.
            for (; x < r; x++)
            {
                row[x] = (byte)(((ulong)sum * mul + half) >> 32);
                sum += t[x + r + 1] - t[0];
            }
            // Middle: add x + r + 1, drop x - r, both inside the row.
            int mid = last - r;
            if (Vector.IsHardwareAccelerated && r <= MaxDirectRadius && mid - x >= Vector<byte>.Count)
            {
                int end = HorizontalDirect(row, t, mid, r, mul);
                // Pick the running sum up where the vector loop stopped: the window [end-r, end+r] is inside the row.
                sum = 0;
                for (int k = end - r; k <= end + r; k++) sum += t[k];
                x = end;
            }
            for (; x < mid; x++)
            {
                row[x] = (byte)(((ulong)sum * mul + half) >> 32);
                sum += t[x + r + 1] - t[x - r];
            }
            // Right end: the window's right edge is clamped to the last column.
            for (; x < width; x++)
            {
                row[x] = (byte)(((ulong)sum * mul + half) >> 32);
                int sub = x - r; if (sub < 0) sub = 0;
                sum += t[last] - t[sub];
            }
        }
    }

    /// <summary>
    /// Up to this radius the horizontal pass adds the 2r+1 shifted rows of bytes directly in 16-bit lanes instead
    /// of carrying a running sum: the sum has no serial dependency then, and 2r+1 vector adds per lane-width of
    /// pixels still cost less than the scalar loop (which is latency-bound at several cycles a pixel).
    /// </summary>
    internal const int MaxDirectRadius = 12;

    /// <summary>
    /// Unclamped window sums for x in [r, end), end &lt;= mid = width - 1 - r, whole vectors at a time, rounded
    /// exactly like the scalar loop (see <see cref="VerticalStripVector"/> for the 32-bit form); returns end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int HorizontalDirect(byte* row, byte* t, int mid, int r, ulong mul)
    {
        var mh = new Vector<uint>((uint)(mul >> 16));
        var ml = new Vector<uint>((uint)(mul & 0xFFFF));
        var rnd = new Vector<uint>(1u << 15);
        int n = Vector<byte>.Count;
        int x = r;
        // Stopping at mid keeps every read (up to t[x + n - 1 + r]) inside the row and leaves the scalar loop a
        // start whose window is unclamped.
        for (; x + n <= mid; x += n)
        {
            Vector.Widen(Unsafe.ReadUnaligned<Vector<byte>>(t + x - r), out Vector<ushort> lo, out Vector<ushort> hi);
            for (int k = 1 - r; k <= r; k++)
            {
                Vector.Widen(Unsafe.ReadUnaligned<Vector<byte>>(t + x + k), out var a, out var b);
                lo += a; hi += b;
            }
            Vector.Widen(lo, out var s0, out var s1);
            Vector.Widen(hi, out var s2, out var s3);
            var o01 = Vector.Narrow(Round(s0, mh, ml, rnd), Round(s1, mh, ml, rnd));
            var o23 = Vector.Narrow(Round(s2, mh, ml, rnd), Round(s3, mh, ml, rnd));
            Unsafe.WriteUnaligned(row + x, Vector.Narrow(o01, o23));
        }
        return x;
    }

    private static unsafe void VerticalStrip(byte* data, int stride, int height, int c0, int c1, int r, Scratch? scratch = null)
    {
        int cw = c1 - c0;
        scratch ??= new Scratch();
        var sums = Scratch.Grow(ref scratch.Sums, cw);
        Array.Clear(sums, 0, cw);
        // Input rows above the current one are already overwritten; keep the last r+1 of them and row 0.
        // Rows y-r with y-r >= 0 exist only when r < height, so the ring never needs more than height slots.
        int slots = Math.Min(r + 1, height);
        var ring = Scratch.Grow(ref scratch.Ring, slots * cw);
        var first = Scratch.Grow(ref scratch.First, cw);
        new ReadOnlySpan<byte>(data + c0, cw).CopyTo(first);
        int last = height - 1;
        for (int k = -r; k <= r; k++)
        {
            byte* src = data + (long)Math.Clamp(k, 0, last) * stride + c0;
            for (int i = 0; i < cw; i++) sums[i] += src[i];
        }
        ulong mul = Multiplier(r);
        const ulong half = 1UL << 31;
        if (Vector.IsHardwareAccelerated && cw >= Vector<byte>.Count && 255L * (2 * r + 1) < 1 << 16)
        {
            VerticalStripVector(data, stride, height, c0, cw, r, slots, ring, first, sums, scratch);
            return;
        }
        for (int y = 0; y < height; y++)
        {
            byte* row = data + (long)y * stride + c0;
            new ReadOnlySpan<byte>(row, cw).CopyTo(ring.AsSpan(y % slots * cw, cw));
            for (int i = 0; i < cw; i++) row[i] = (byte)(((ulong)sums[i] * mul + half) >> 32);
            if (y == last) break;
            int addRow = Math.Min(y + 1 + r, last);
            byte* add = data + (long)addRow * stride + c0;
            int subRow = y - r;
            ReadOnlySpan<byte> sub = subRow < 0 ? first : ring.AsSpan(subRow % slots * cw, cw);
            for (int i = 0; i < cw; i++) sums[i] += add[i] - sub[i];
        }
    }

    /// <summary>
    /// <see cref="VerticalStrip"/> with 32-bit lanes, for windows whose sums fit 16 bits. The rounding
    /// (sum·mul + 2³¹) >> 32 is computed exactly from the halves of mul = mh·2¹⁶ + ml:
    /// (sum·mh + (sum·ml >> 16) + 2¹⁵) >> 16, where nothing exceeds 32 bits because mul &lt; 2³¹ and sum &lt; 2¹⁶.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void VerticalStripVector(byte* data, int stride, int height, int c0, int cw, int r, int slots, byte[] ring, byte[] first, long[] sums64, Scratch scratch)
    {
        ulong mul = Multiplier(r);
        var mh = new Vector<uint>((uint)(mul >> 16));
        var ml = new Vector<uint>((uint)(mul & 0xFFFF));
        var rnd = new Vector<uint>(1u << 15);
        int bn = Vector<byte>.Count, un = Vector<uint>.Count;
        // Whole vectors of columns; the last one may overlap the previous, so it keeps its own sums.
        int chunks = (cw + bn - 1) / bn;
        var sums = Scratch.Grow(ref scratch.VectorSums, chunks * bn);
        for (int c = 0; c < chunks; c++)
        {
            int i0 = Math.Min(c * bn, cw - bn);
            for (int i = 0; i < bn; i++) sums[c * bn + i] = (uint)sums64[i0 + i];
        }
        int last = height - 1;
        fixed (uint* sp = sums)
        fixed (byte* rp = ring, fp = first)
        {
            for (int y = 0; y < height; y++)
            {
                byte* row = data + (long)y * stride + c0;
                new ReadOnlySpan<byte>(row, cw).CopyTo(new Span<byte>(rp + y % slots * cw, cw));
                bool more = y != last;
                byte* add = data + (long)Math.Min(y + 1 + r, last) * stride + c0;
                int subRow = y - r;
                byte* sub = subRow < 0 ? fp : rp + subRow % slots * cw;
                for (int c = 0; c < chunks; c++)
                {
                    int i0 = Math.Min(c * bn, cw - bn);
                    uint* s = sp + c * bn;
                    var s0 = Unsafe.Read<Vector<uint>>(s);
                    var s1 = Unsafe.Read<Vector<uint>>(s + un);
                    var s2 = Unsafe.Read<Vector<uint>>(s + 2 * un);
                    var s3 = Unsafe.Read<Vector<uint>>(s + 3 * un);
                    var o01 = Vector.Narrow(Round(s0, mh, ml, rnd), Round(s1, mh, ml, rnd));
                    var o23 = Vector.Narrow(Round(s2, mh, ml, rnd), Round(s3, mh, ml, rnd));
                    Unsafe.WriteUnaligned(row + i0, Vector.Narrow(o01, o23));
                    if (!more) continue;
                    Vector.Widen(Unsafe.ReadUnaligned<Vector<byte>>(add + i0), out var a01, out var a23);
                    Vector.Widen(Unsafe.ReadUnaligned<Vector<byte>>(sub + i0), out var b01, out var b23);
                    Vector.Widen(a01, out var a0, out var a1);
                    Vector.Widen(a23, out var a2, out var a3);
                    Vector.Widen(b01, out var b0, out var b1);
                    Vector.Widen(b23, out var b2, out var b3);
                    Unsafe.Write(s, s0 + a0 - b0);
                    Unsafe.Write(s + un, s1 + a1 - b1);
                    Unsafe.Write(s + 2 * un, s2 + a2 - b2);
                    Unsafe.Write(s + 3 * un, s3 + a3 - b3);
                }
            }
        }
    }

    private static Vector<uint> Round(Vector<uint> sum, Vector<uint> mh, Vector<uint> ml, Vector<uint> rnd) =>
        (sum * mh + Vector.ShiftRightLogical(sum * ml, 16) + rnd) >>> 16;

    /// <summary>In place: each value becomes the sum over the window [x-r,x+r]x[y-r,y+r] clipped to the plane.</summary>
    public static void BoxSum(float[] plane, int width, int height, int r)
    {
        ParallelRows.For(height, (long)width * 2, (y0, y1) =>
        {
            var tmp = new float[width];
            for (int y = y0; y < y1; y++)
            {
                var row = plane.AsSpan(y * width, width);
                row.CopyTo(tmp);
                double sum = 0;
                for (int k = 0; k <= Math.Min(r, width - 1); k++) sum += tmp[k];
                for (int x = 0; x < width; x++)
                {
                    row[x] = (float)sum;
                    if (x + r + 1 < width) sum += tmp[x + r + 1];
                    if (x - r >= 0) sum -= tmp[x - r];
                }
            }
        });
        int strips = Math.Max(1, Math.Min(width / 32, Environment.ProcessorCount * 2));
        ParallelRows.For(strips, (long)width * height / strips * 2, (s0, s1) =>
        {
            for (int s = s0; s < s1; s++)
            {
                int x0 = (int)((long)width * s / strips), x1 = (int)((long)width * (s + 1) / strips);
                int cw = x1 - x0;
                if (cw <= 0) continue;
                var sums = new double[cw];
                int slots = Math.Min(r + 1, height);
                var ring = new float[slots * cw];
                for (int k = 0; k <= Math.Min(r, height - 1); k++)
                {
                    var src = plane.AsSpan(k * width + x0, cw);
                    for (int i = 0; i < cw; i++) sums[i] += src[i];
                }
                for (int y = 0; y < height; y++)
                {
                    var row = plane.AsSpan(y * width + x0, cw);
                    row.CopyTo(ring.AsSpan(y % slots * cw, cw));
                    for (int i = 0; i < cw; i++) row[i] = (float)sums[i];
                    if (y + r + 1 < height)
                    {
                        var add = plane.AsSpan((y + r + 1) * width + x0, cw);
                        for (int i = 0; i < cw; i++) sums[i] += add[i];
                    }
                    if (y - r >= 0)
                    {
                        var sub = ring.AsSpan((y - r) % slots * cw, cw);
                        for (int i = 0; i < cw; i++) sums[i] -= sub[i];
                    }
                }
            }
        });
    }
}

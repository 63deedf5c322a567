using System.Runtime.CompilerServices;
using System.Buffers;
using System.Numerics;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Vertical distance to the nearest target pixel in the same column, capped at a small bound and kept in bytes,
/// computed in horizontal bands so that each finished row goes straight to a row pass while it is still in cache.
/// Operations that only ask "is the distance &lt;= r" (grow, shrink, narrow feathers) never need a distance
/// beyond r + 1, so a band needs only cap rows of context above and below it: bands run independently on
/// all cores, and no full-size distance image is ever written.
/// The recurrences are those of the first phase of Meijster, Roerdink and Hesselink, "A general algorithm for
/// computing distance transforms in linear time" (2000): down g = target ? 0 : g(y-1) + 1, then up
/// g = min(g, g(y+1) + 1), here saturated at the cap.
/// </summary>
internal static class CappedColumns
{
    /// <summary>Largest cap: cap + 1 must still fit a byte.</summary>
    public const int MaxCap = 254;

    /// <summary>Receives each finished row of capped vertical distances, bottom to top within a band.</summary>
    public interface IRowSink
    {
        void Row(int y, ReadOnlySpan<byte> g);
    }

    /// <summary>Band count for <paramref name="height"/> rows: a few per core for balance, each much taller than the context it rereads.</summary>
    public static int Bands(int width, int height, int cap)
    {
        if ((long)width * height < 1 << 18) return 1;
        int byContext = Math.Max(1, height / Math.Max(64, 4 * cap));
        return Math.Max(1, Math.Min(byContext, Environment.ProcessorCount * 4));
    }

    /// <summary>
    /// Runs both sweeps over rows [y0, y1) (reading up to <paramref name="cap"/> rows of mask beyond each end) and
    /// calls <paramref name="sink"/> for every row of the band, from y1 - 1 down to y0. Values are exact where
    /// the true distance is below cap, and equal cap otherwise (also where a column holds no target).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Band<TSink>(ReadOnlySpan<byte> mask, int width, int height, int y0, int y1, bool targetIsSet, int cap, ref TSink sink)
        where TSink : struct, IRowSink
    {
        if (cap < 1 || cap > MaxCap) throw new ArgumentOutOfRangeException(nameof(cap));
        int rows = y1 - y0;
        if (rows <= 0) return;
        var down = ArrayPool<byte>.Shared.Rent(rows * width);
        var state = ArrayPool<byte>.Shared.Rent(width);
        try
        {
            var st = state.AsSpan(0, width);
            byte c = (byte)cap;
            // Rows above the band only matter up to cap rows away; farther targets are beyond the cap anyway.
            st.Fill(c);
            for (int y = Math.Max(0, y0 - cap); y < y0; y++)
                MaskStep(mask.Slice(y * width, width), st, st, targetIsSet, c);
            ReadOnlySpan<byte> prev = st;
            for (int y = y0; y < y1; y++)
            {
                var dr = down.AsSpan((y - y0) * width, width);
                MaskStep(mask.Slice(y * width, width), prev, dr, targetIsSet, c);
                prev = dr;
            }
            st.Fill(c);
            for (int y = Math.Min(height, y1 + cap) - 1; y >= y1; y--)
                MaskStep(mask.Slice(y * width, width), st, st, targetIsSet, c);
            for (int y = y1 - 1; y >= y0; y--)
            {
                MinStep(down.AsSpan((y - y0) * width, width), st);
                sink.Row(y, st);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(down);
            ArrayPool<byte>.Shared.Return(state);
        }
    }

    /// <summary>
    /// As <see cref="Band{TSink}"/>, but every pixel's target is the other value: the result is the vertical
    /// distance from each pixel to the nearest pixel of the opposite selection state (capped), which is what both
    /// sides of an edge need at once (feathering). Down: h = (m != m above) ? 1 : h(y-1) + 1; up likewise with
    /// the row below, combined with min.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BandOpposite<TSink>(ReadOnlySpan<byte> mask, int width, int height, int y0, int y1, int cap, ref TSink sink)
        where TSink : struct, IRowSink
    {
        if (cap < 1 || cap > MaxCap) throw new ArgumentOutOfRangeException(nameof(cap));
        int rows = y1 - y0;
        if (rows <= 0) return;
        var down = ArrayPool<byte>.Shared.Rent(rows * width);
        var state = ArrayPool<byte>.Shared.Rent(width);
        try
        {
            var st = state.AsSpan(0, width);
            byte c = (byte)cap;
            st.Fill(c);
            int top = Math.Max(0, y0 - cap);
            for (int y = top + 1; y < y0; y++)
                ChangeStep(mask.Slice(y * width, width), mask.Slice((y - 1) * width, width), st, st, c, c);
            ReadOnlySpan<byte> prev = st;
            for (int y = y0; y < y1; y++)
            {
                var dr = down.AsSpan((y - y0) * width, width);
                if (y == 0) dr.Fill(c);
                else ChangeStep(mask.Slice(y * width, width), mask.Slice((y - 1) * width, width), prev, dr, c, c);
                prev = dr;
            }
            st.Fill(c);
            int bottom = Math.Min(height, y1 + cap) - 1;
            for (int y = bottom - 1; y >= y1; y--)
                ChangeStep(mask.Slice(y * width, width), mask.Slice((y + 1) * width, width), st, st, c, c);
            for (int y = y1 - 1; y >= y0; y--)
            {
                var dr = down.AsSpan((y - y0) * width, width);
                if (y == height - 1) dr.CopyTo(st);
                else ChangeStep(mask.Slice(y * width, width), mask.Slice((y + 1) * width, width), st, st, c, dr);
                sink.Row(y, st);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(down);
            ArrayPool<byte>.Shared.Return(state);
        }
    }

    /// <summary>next = min(bound, (m set) != (neighbour set) ? 1 : min(prev + 1, cap)); bound is a scalar or a row.</summary>
    private static void ChangeStep(ReadOnlySpan<byte> m, ReadOnlySpan<byte> nb, ReadOnlySpan<byte> prev, Span<byte> next, byte cap, byte bound) =>
        ChangeStep(m, nb, prev, next, cap, bound, default);

    private static void ChangeStep(ReadOnlySpan<byte> m, ReadOnlySpan<byte> nb, ReadOnlySpan<byte> prev, Span<byte> next, byte cap, ReadOnlySpan<byte> bound) =>
        ChangeStep(m, nb, prev, next, cap, cap, bound);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChangeStep(ReadOnlySpan<byte> m, ReadOnlySpan<byte> nb, ReadOnlySpan<byte> prev, Span<byte> next, byte cap, byte boundScalar, ReadOnlySpan<byte> boundRow)
    {
        int w = m.Length, i = 0;
        bool rowBound = !boundRow.IsEmpty;
        if (Vector.IsHardwareAccelerated)
        {
            int n = Vector<byte>.Count;
            var one = Vector<byte>.One;
            var capV = new Vector<byte>(cap);
            var bs = new Vector<byte>(boundScalar);
            for (; i <= w - n; i += n)
            {
                var same = Vector.Equals(Vector.Equals(new Vector<byte>(m.Slice(i)), Vector<byte>.Zero), Vector.Equals(new Vector<byte>(nb.Slice(i)), Vector<byte>.Zero));
                var inc = Vector.Min(new Vector<byte>(prev.Slice(i)) + one, capV);
                var v = Vector.ConditionalSelect(same, inc, one);
                v = Vector.Min(v, rowBound ? new Vector<byte>(boundRow.Slice(i)) : bs);
                v.CopyTo(next.Slice(i));
            }
        }
        for (; i < w; i++)
        {
            int v = (m[i] != 0) != (nb[i] != 0) ? 1 : Math.Min(prev[i] + 1, cap);
            int b = rowBound ? boundRow[i] : boundScalar;
            next[i] = (byte)Math.Min(v, b);
        }
    }

    /// <summary>next = target ? 0 : min(prev + 1, cap); <paramref name="next"/> may be <paramref name="prev"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MaskStep(ReadOnlySpan<byte> m, ReadOnlySpan<byte> prev, Span<byte> next, bool targetIsSet, byte cap)
    {
        int w = m.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int n = Vector<byte>.Count;
            var one = Vector<byte>.One;
            var capV = new Vector<byte>(cap);
            for (; i <= w - n; i += n)
            {
                var isZero = Vector.Equals(new Vector<byte>(m.Slice(i)), Vector<byte>.Zero);
                var inc = Vector.Min(new Vector<byte>(prev.Slice(i)) + one, capV);
                // Unset pixels are the target when targetIsSet is false: keep inc exactly where the pixel is not a target.
                var keep = targetIsSet ? isZero : ~isZero;
                (inc & keep).CopyTo(next.Slice(i));
            }
        }
        for (; i < w; i++)
        {
            bool target = (m[i] != 0) == targetIsSet;
            int inc = prev[i] + 1;
            next[i] = target ? (byte)0 : (byte)Math.Min(inc, cap);
        }
    }

    /// <summary>g = min(down, g + 1): down is 0 on targets, so no mask is needed, and g + 1 &lt;= cap + 1 cannot wrap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MinStep(ReadOnlySpan<byte> down, Span<byte> g)
    {
        int w = g.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int n = Vector<byte>.Count;
            var one = Vector<byte>.One;
            for (; i <= w - n; i += n)
                Vector.Min(new Vector<byte>(down.Slice(i)), new Vector<byte>(g.Slice(i)) + one).CopyTo(g.Slice(i));
        }
        for (; i < w; i++)
        {
            int v = g[i] + 1;
            if (down[i] < v) v = down[i];
            g[i] = (byte)v;
        }
    }
}

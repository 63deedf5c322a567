using System.Runtime.CompilerServices;
using System.Numerics;

namespace SegPlugins.Core.Masks.Internal;

internal static class Feathering
{
    /// <summary>
    /// Linear ramp of width <paramref name="width"/> centred on the edge. The signed distance of a pixel centre to
    /// the edge is taken as (distance to the nearest pixel of the other value) - 0.5, positive inside.
    /// </summary>
    public static byte[] Distance(byte[] mask, int w, int h, float width)
    {
        float halfW = width / 2f;
        int c = (int)Math.Min(w + h, Math.Ceiling(halfW + 0.5f) + 1);
        if (c <= MaxNarrowReach) return DistanceBanded(mask, w, h, width, c);
        if (c < 1024 && h < DistanceTransform.NoTarget - 1) return DistanceBandedWide(mask, w, h, width, c);
        return DistanceViaTransform(mask, w, h, width);
    }

    /// <summary>
    /// Up to this reach (ramps up to ~30 px wide) each pixel near the edge is resolved by looking sideways at the
    /// columns within reach, nearest first; wider ramps use the 16-bit sweeps.
    /// </summary>
    internal const int MaxNarrowReach = 16;

    /// <summary>
    /// Same result as <see cref="DistanceViaTransform"/> for ramps up to <see cref="MaxNarrowReach"/>: the vertical
    /// distance from every pixel to the nearest pixel of the other state, capped at c + 1, comes band by band in
    /// bytes (<see cref="CappedColumns.BandOpposite"/>). A pixel can only be within c of the other state if a column
    /// within c of it on its row is within c of the other state vertically, or the row changes state within c,
    /// so each row starts as a copy of the mask and only the spans around such columns are computed, each pixel
    /// by looking at columns x ± dx for growing dx until dx² reaches the best squared distance found.
    /// </summary>
    internal static byte[] DistanceBanded(byte[] mask, int w, int h, float width, int c, int bands = 0)
    {
        float half = width / 2f;
        float reach = (half + 0.5f) * (half + 0.5f);
        int maxD2 = (int)Math.Ceiling(reach);
        // Ramp value by d² (saturated from reach on); index maxD2 + 1 stands for "farther".
        var inside = new byte[maxD2 + 2];
        var outside = new byte[maxD2 + 2];
        for (int d2 = 0; d2 <= maxD2 + 1; d2++)
        {
            if (d2 >= reach) { inside[d2] = 255; outside[d2] = 0; continue; }
            float sd = MathF.Sqrt(d2) - 0.5f;
            inside[d2] = Ramp(0.5f + sd / width);
            outside[d2] = Ramp(0.5f - sd / width);
        }
        // Squared vertical distance by capped distance; the cap itself means "beyond c".
        var h2 = new int[c + 2];
        for (int i = 0; i <= c; i++) h2[i] = i * i;
        h2[c + 1] = int.MaxValue / 2;
        var dst = GC.AllocateUninitializedArray<byte>(mask.Length);
        if (bands <= 0) bands = CappedColumns.Bands(w, h, c + 1);
        ParallelRows.For(bands, (long)w * h / bands * 3, (b0, b1) =>
        {
            var act = new byte[w];
            for (int b = b0; b < b1; b++)
            {
                int y0 = (int)((long)h * b / bands), y1 = (int)((long)h * (b + 1) / bands);
                var sink = new RampRows(mask, dst, w, c, maxD2 + 1, inside, outside, h2, act);
                CappedColumns.BandOpposite(mask, w, h, y0, y1, c + 1, ref sink);
            }
        });
        return dst;
    }

    private readonly struct RampRows(byte[] mask, byte[] dst, int w, int c, int far, byte[] inside, byte[] outside, int[] h2, byte[] act)
        : CappedColumns.IRowSink
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Row(int y, ReadOnlySpan<byte> g)
        {
            var m = new ReadOnlySpan<byte>(mask, y * w, w);
            var o = dst.AsSpan(y * w, w);
            m.CopyTo(o);
            var a = act.AsSpan(0, w);
            MarkActive(m, g, (byte)c, a);
            int x = a.IndexOfAnyExcept((byte)0);
            if (x < 0) return;
            int curL = 0, curR = -2;
            bool have = false;
            while (x >= 0)
            {
                // Column x is within c of the other state vertically, or the state changes between x and x + 1.
                int lo = Math.Max(0, x - c), hi = Math.Min(w - 1, x + 1 + c);
                if (have && lo <= curR + 1) { if (hi > curR) curR = hi; }
                else
                {
                    if (have) Resolve(m, g, o, curL, curR);
                    curL = lo; curR = hi; have = true;
                }
                if (++x >= w) break;
                if (a[x] == 0)
                {
                    int k = a.Slice(x).IndexOfAnyExcept((byte)0);
                    if (k < 0) break;
                    x += k;
                }
            }
            if (have) Resolve(m, g, o, curL, curR);
        }

        /// <summary>a[x] != 0 where g[x] &lt;= c or the selection state changes between x and x + 1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void MarkActive(ReadOnlySpan<byte> m, ReadOnlySpan<byte> g, byte c, Span<byte> a)
        {
            int w = m.Length, i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                int n = Vector<byte>.Count;
                var cv = new Vector<byte>(c);
                for (; i <= w - 1 - n; i += n)
                {
                    var near = Vector.LessThanOrEqual(new Vector<byte>(g.Slice(i)), cv);
                    var same = Vector.Equals(Vector.Equals(new Vector<byte>(m.Slice(i)), Vector<byte>.Zero), Vector.Equals(new Vector<byte>(m.Slice(i + 1)), Vector<byte>.Zero));
                    (near | ~same).CopyTo(a.Slice(i));
                }
            }
            for (; i < w; i++)
                a[i] = g[i] <= c || (i + 1 < w && (m[i] != 0) != (m[i + 1] != 0)) ? (byte)1 : (byte)0;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Resolve(ReadOnlySpan<byte> m, ReadOnlySpan<byte> g, Span<byte> o, int x0, int x1)
        {
            for (int x = x0; x <= x1; x++)
            {
                bool on = m[x] != 0;
                int best = far;
                for (int dx = 0; dx <= c; dx++)
                {
                    int dx2 = dx * dx;
                    if (dx2 >= best) break;
                    int xl = x - dx, xr = x + dx;
                    if (xl >= 0)
                    {
                        int t = (m[xl] != 0) != on ? dx2 : dx2 + h2[g[xl]];
                        if (t < best) best = t;
                    }
                    if (xr < w)
                    {
                        int t = (m[xr] != 0) != on ? dx2 : dx2 + h2[g[xr]];
                        if (t < best) best = t;
                    }
                }
                if (best > far) best = far;
                o[x] = on ? inside[best] : outside[best];
            }
        }
    }

    /// <summary>
    /// Same result as <see cref="DistanceViaTransform"/> for ramps narrower than ~2000 px: the ramp only needs
    /// distances up to c = ceil(width/2 + 0.5) + 1, so after the vertical sweeps each column position x' within c
    /// (vertically) of the other value lowers the squared distance of the pixels within c on its row, in integers.
    /// Inner points of runs at distance 0 are skipped (a run end is always at least as near). Work follows the
    /// number of pixels near the edge.
    /// </summary>
    internal static byte[] DistanceBandedWide(byte[] mask, int w, int h, float width, int c)
    {
        var toSet = new ushort[w * h];
        var toUnset = new ushort[w * h];
        int strips = Math.Max(1, Math.Min(w / 64, Environment.ProcessorCount * 2));
        ParallelRows.For(strips, (long)w * h / strips * 4, (s0, s1) =>
        {
            for (int s = s0; s < s1; s++)
            {
                int x0 = (int)((long)w * s / strips), x1 = (int)((long)w * (s + 1) / strips);
                DistanceTransform.ColumnSweeps(mask, toSet, w, h, x0, x1, targetIsSet: true, borderIsTarget: false);
                DistanceTransform.ColumnSweeps(mask, toUnset, w, h, x0, x1, targetIsSet: false, borderIsTarget: false);
            }
        });
        var dst = new byte[mask.Length];
        float half = width / 2f;
        float reach = (half + 0.5f) * (half + 0.5f);
        // Ramp value for every squared distance that can fall inside the ramp, indexed by d².
        int maxD2 = (int)Math.Ceiling(reach);
        var inside = new byte[maxD2 + 1];
        var outside = new byte[maxD2 + 1];
        for (int d2 = 0; d2 <= maxD2; d2++)
        {
            float s = MathF.Sqrt(d2) - 0.5f;
            inside[d2] = Ramp(0.5f + s / width);
            outside[d2] = Ramp(0.5f - s / width);
        }
        ParallelRows.For(h, (long)w * 3, (y0, y1) =>
        {
            var dd = new int[w];
            for (int y = y0; y < y1; y++)
            {
                var m = new ReadOnlySpan<byte>(mask, y * w, w);
                var gu = new ReadOnlySpan<ushort>(toUnset, y * w, w);
                var gs = new ReadOnlySpan<ushort>(toSet, y * w, w);
                var o = dst.AsSpan(y * w, w);
                dd.AsSpan().Fill(int.MaxValue);
                Splat(gu, m, true, c, dd);
                Splat(gs, m, false, c, dd);
                for (int x = 0; x < w; x++)
                {
                    bool on = m[x] != 0;
                    int d2 = dd[x];
                    if (d2 >= reach) o[x] = on ? (byte)255 : (byte)0;
                    else o[x] = on ? inside[d2] : outside[d2];
                }
            }
        });
        return dst;
    }

    private static byte Ramp(float a) => a <= 0f ? (byte)0 : a >= 1f ? (byte)255 : (byte)(a * 255f + 0.5f);

    /// <summary>Lowers dd[x] for pixels whose value is <paramref name="forSet"/>, from columns within c of the other value.</summary>
    private static void Splat(ReadOnlySpan<ushort> g, ReadOnlySpan<byte> m, bool forSet, int c, int[] dd)
    {
        int w = g.Length;
        for (int xp = 0; xp < w; xp++)
        {
            int gv = g[xp];
            if (gv > c) continue;
            if (gv == 0 && xp > 0 && xp < w - 1 && g[xp - 1] == 0 && g[xp + 1] == 0) continue;
            int g2 = gv * gv;
            int a = Math.Max(0, xp - c), b = Math.Min(w - 1, xp + c);
            for (int x = a; x <= b; x++)
            {
                if ((m[x] != 0) != forSet) continue;
                int d2 = (x - xp) * (x - xp) + g2;
                if (d2 < dd[x]) dd[x] = d2;
            }
        }
    }

    /// <summary>Feather from two full float distance transforms; the reference for <see cref="DistanceBanded"/>.</summary>
    internal static byte[] DistanceViaTransform(byte[] mask, int w, int h, float width)
    {
        var inside = new float[mask.Length];
        var outside = new float[mask.Length];
        float half = width / 2f;
        int bound = (int)Math.Min(w + h, Math.Ceiling(half + 0.5f) + 1);
        DistanceTransform.SquaredDistance(mask, w, h, targetIsSet: false, borderIsTarget: false, inside, bound);
        DistanceTransform.SquaredDistance(mask, w, h, targetIsSet: true, borderIsTarget: false, outside, bound);
        var dst = new byte[mask.Length];
        // Beyond half + 0.5 px the ramp is saturated; skipping the square root there keeps this pass cheap.
        float reach = (half + 0.5f) * (half + 0.5f);
        const int chunk = 1 << 16;
        int chunks = (dst.Length + chunk - 1) / chunk;
        ParallelRows.For(chunks, chunk * 3L, (c0, c1) =>
        {
            int e = Math.Min(dst.Length, c1 * chunk);
            for (int i = c0 * chunk; i < e; i++)
            {
                bool on = mask[i] != 0;
                float d2 = on ? inside[i] : outside[i];
                if (d2 >= reach) { dst[i] = on ? (byte)255 : (byte)0; continue; }
                float s = MathF.Sqrt(d2) - 0.5f;
                if (!on) s = -s;
                float a = 0.5f + s / width;
                dst[i] = a <= 0f ? (byte)0 : a >= 1f ? (byte)255 : (byte)(a * 255f + 0.5f);
            }
        });
        return dst;
    }

    /// <summary>Three-box Gaussian approximation with σ = width / 2 (see <see cref="BoxBlur"/>).</summary>
    public static byte[] Gaussian(byte[] mask, int w, int h, float width)
    {
        return Tiles.BlurPlane(mask, w, h, BoxBlur.RadiusForSigma(width / 2.0), 3);
    }
}

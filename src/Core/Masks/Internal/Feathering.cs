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
        if (c < 1024 && h < DistanceTransform.NoTarget - 1) return DistanceBanded(mask, w, h, width, c);
        return DistanceViaTransform(mask, w, h, width);
    }

    /// <summary>
    /// Same result as <see cref="DistanceViaTransform"/> for ramps narrower than ~2000 px: the ramp only needs
    /// distances up to c = ceil(width/2 + 0.5) + 1, so after the vertical sweeps each column position x' within c
    /// (vertically) of the other value lowers the squared distance of the pixels within c on its row, in integers.
    /// Inner points of runs at distance 0 are skipped (a run end is always at least as near). Work follows the
    /// number of pixels near the edge.
    /// </summary>
    internal static byte[] DistanceBanded(byte[] mask, int w, int h, float width, int c)
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

namespace SegPlugins.Core.Masks.Internal;

internal static class Feathering
{
    /// <summary>
    /// Linear ramp of width <paramref name="width"/> centred on the edge. The signed distance of a pixel centre to
    /// the edge is taken as (distance to the nearest pixel of the other value) - 0.5, positive inside.
    /// </summary>
    public static byte[] Distance(byte[] mask, int w, int h, float width)
    {
        var inside = new float[mask.Length];
        var outside = new float[mask.Length];
        DistanceTransform.SquaredDistance(mask, w, h, targetIsSet: false, borderIsTarget: false, inside);
        DistanceTransform.SquaredDistance(mask, w, h, targetIsSet: true, borderIsTarget: false, outside);
        var dst = new byte[mask.Length];
        float half = width / 2f;
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
        var dst = (byte[])mask.Clone();
        int r = BoxBlur.RadiusForSigma(width / 2.0);
        BoxBlur.Blur(dst, 0, w, w, h, 1, r, 3);
        return dst;
    }
}

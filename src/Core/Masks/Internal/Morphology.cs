namespace SegPlugins.Core.Masks.Internal;

/// <summary>Grow and shrink by thresholding the exact distance transform, so the cost does not depend on the radius.</summary>
internal static class Morphology
{
    /// <summary>Pixels within <paramref name="radius"/> (d² &lt;= r²) of a set pixel become set.</summary>
    public static byte[] Grow(byte[] mask, int width, int height, int radius)
    {
        var dst = new byte[mask.Length];
        if (radius == 0) { mask.AsSpan().CopyTo(dst); return dst; }
        var dist = new float[mask.Length];
        DistanceTransform.SquaredDistance(mask, width, height, targetIsSet: true, borderIsTarget: false, dist);
        ThresholdAtMost(dist, RadiusSquared(radius, width, height), dst, (byte)255, (byte)0);
        return dst;
    }

    /// <summary>
    /// Set pixels within <paramref name="radius"/> of an unset pixel become unset. Outside the image does not
    /// count as unset: a selection touching the border stays attached to it.
    /// </summary>
    public static byte[] Shrink(byte[] mask, int width, int height, int radius)
    {
        var dst = new byte[mask.Length];
        if (radius == 0) { mask.AsSpan().CopyTo(dst); return dst; }
        var dist = new float[mask.Length];
        DistanceTransform.SquaredDistance(mask, width, height, targetIsSet: false, borderIsTarget: false, dist);
        ThresholdAtMost(dist, RadiusSquared(radius, width, height), dst, (byte)0, (byte)255);
        return dst;
    }

    /// <summary>r² as float, capped where every pixel is already in reach so huge radii cannot overflow.</summary>
    private static float RadiusSquared(int radius, int width, int height)
    {
        long r = Math.Min(radius, (long)width + height);
        return (float)(r * r);
    }

    private static void ThresholdAtMost(float[] dist, float limit, byte[] dst, byte near, byte far)
    {
        const int chunk = 1 << 16;
        int chunks = (dst.Length + chunk - 1) / chunk;
        ParallelRows.For(chunks, chunk, (c0, c1) =>
        {
            int e = Math.Min(dst.Length, c1 * chunk);
            for (int i = c0 * chunk; i < e; i++) dst[i] = dist[i] <= limit ? near : far;
        });
    }
}

namespace SegPlugins.Core.Masks.Internal;

/// <summary>Grow and shrink by thresholding the exact distance transform, so the cost does not depend on the radius.</summary>
internal static class Morphology
{
    /// <summary>Pixels within <paramref name="radius"/> (d² &lt;= r²) of a set pixel become set.</summary>
    public static byte[] Grow(byte[] mask, int width, int height, int radius)
    {
        var dst = GC.AllocateUninitializedArray<byte>(mask.Length);
        if (radius == 0) { mask.AsSpan().CopyTo(dst); return dst; }
        DistanceTransform.WithinRadius(mask, width, height, targetIsSet: true, radius, 255, 0, dst);
        return dst;
    }

    /// <summary>
    /// Set pixels within <paramref name="radius"/> of an unset pixel become unset. Outside the image does not
    /// count as unset: a selection touching the border stays attached to it.
    /// </summary>
    public static byte[] Shrink(byte[] mask, int width, int height, int radius)
    {
        var dst = GC.AllocateUninitializedArray<byte>(mask.Length);
        if (radius == 0) { mask.AsSpan().CopyTo(dst); return dst; }
        DistanceTransform.WithinRadius(mask, width, height, targetIsSet: false, radius, 0, 255, dst);
        return dst;
    }
}

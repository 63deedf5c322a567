using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Masks;

/// <summary>
/// One-line verbs for selection editing, e.g. <c>mask.Grow(4).FillAllHoles().Feather(2)</c>. Every verb returns a
/// new mask and leaves its inputs untouched. Two-mask verbs throw <see cref="SegArgumentException"/> naming both
/// sizes when they differ.
/// </summary>
public static class MaskExtensions
{
    public static Mask Union(this Mask a, Mask b) => Combine(a, b, ByteOp.Max);
    public static Mask Intersect(this Mask a, Mask b) => Combine(a, b, ByteOp.Min);
    /// <summary>Pixels of <paramref name="a"/> not in <paramref name="b"/>.</summary>
    public static Mask Subtract(this Mask a, Mask b) => Combine(a, b, ByteOp.MinNot);
    public static Mask Xor(this Mask a, Mask b) => Combine(a, b, ByteOp.Xor);
    /// <summary>Intersection over union of two masks of the same size (1 when both are empty).</summary>
    public static double IoU(this Mask a, Mask b)
    {
        MaskChecks.SameSize(a.Width, a.Height, b.Width, b.Height, "first mask", "second mask");
        OverlapKernel.IntersectionUnion(a.Data, b.Data, out long inter, out long union);
        return union == 0 ? 1.0 : (double)inter / union;
    }

    public static Mask Invert(this Mask a) { var d = new byte[a.Data.Length]; ByteOps.NotPlane(a.Data, d); return new Mask(a.Width, a.Height, d); }

    /// <summary>Fuzzy union: max of alphas.</summary>
    public static SoftMask Union(this SoftMask a, SoftMask b) => Combine(a, b, ByteOp.Max);
    /// <summary>Fuzzy intersection: min of alphas.</summary>
    public static SoftMask Intersect(this SoftMask a, SoftMask b) => Combine(a, b, ByteOp.Min);
    /// <summary>Fuzzy difference: min(a, 255 - b).</summary>
    public static SoftMask Subtract(this SoftMask a, SoftMask b) => Combine(a, b, ByteOp.MinNot);
    /// <summary>255 - alpha.</summary>
    public static SoftMask Invert(this SoftMask a) { var d = new byte[a.Data.Length]; ByteOps.NotPlane(a.Data, d); return new SoftMask(a.Width, a.Height, d); }

    public static Mask Grow(this Mask m, int radius) => new GrowOptions(radius).Apply(m);
    public static Mask Grow(this Mask m, GrowOptions options) => options.Apply(m);
    public static Mask Shrink(this Mask m, int radius) => new ShrinkOptions(radius).Apply(m);
    public static Mask Shrink(this Mask m, ShrinkOptions options) => options.Apply(m);

    public static SoftMask Feather(this Mask m, float width, FeatherMode mode = FeatherMode.Distance) => new FeatherOptions(width, mode).Apply(m);
    public static SoftMask Feather(this Mask m, FeatherOptions options) => options.Apply(m);

    public static Mask Smooth(this Mask m, float sigma) => new SmoothOptions(sigma).Apply(m);
    public static Mask Smooth(this Mask m, SmoothOptions options) => options.Apply(m);

    /// <summary>Fills holes (4-connected unselected regions not touching the border) of at most <paramref name="maxArea"/> pixels.</summary>
    public static Mask FillHoles(this Mask m, long maxArea) => new FillHolesOptions(maxArea).Apply(m);
    public static Mask FillHoles(this Mask m, FillHolesOptions options) => options.Apply(m);
    public static Mask FillAllHoles(this Mask m) => FillHolesOptions.All.Apply(m);

    /// <summary>Removes 8-connected selected regions smaller than <paramref name="minArea"/> pixels.</summary>
    public static Mask RemoveIslands(this Mask m, long minArea) => new RemoveIslandsOptions(minArea).Apply(m);
    public static Mask RemoveIslands(this Mask m, RemoveIslandsOptions options) => options.Apply(m);

    /// <summary>Keeps the largest 8-connected region (the first in row order on a tie); an empty mask stays empty.</summary>
    public static Mask KeepLargestComponent(this Mask m) => ComponentSelection.KeepLargest(m);

    /// <summary>
    /// Keeps the 8-connected regions that contain any of <paramref name="points"/> (pixel = floor of the
    /// coordinates; a point exactly on the right or bottom edge counts as the last pixel). Points on unselected
    /// pixels select nothing. Points outside the image are an error.
    /// </summary>
    public static Mask KeepComponentsContaining(this Mask m, params PointPrompt[] points) => ComponentSelection.KeepContaining(m, points);

    /// <summary>Smallest rectangle holding every selected pixel, or null when nothing is selected.</summary>
    public static PixelRect? BoundingBox(this Mask m) => Bounds.Of(m.Data, m.Width, m.Height);
    /// <summary>Smallest rectangle holding every pixel with alpha &gt; 0, or null when all alpha is 0.</summary>
    public static PixelRect? BoundingBox(this SoftMask m) => Bounds.Of(m.Data, m.Width, m.Height);

    public static Mask Crop(this Mask m, PixelRect rect) => new(rect.Width, rect.Height, Bounds.Crop(m.Data, m.Width, m.Height, rect));
    public static SoftMask Crop(this SoftMask m, PixelRect rect) => new(rect.Width, rect.Height, Bounds.Crop(m.Data, m.Width, m.Height, rect));

    /// <summary>Alpha 255 where selected, 0 elsewhere.</summary>
    public static SoftMask ToSoftMask(this Mask m) => SoftMask.FromMask(m);

    /// <summary>Guided-filter refinement of the edge against <paramref name="image"/> (see <see cref="RefineEdgeOptions"/>).</summary>
    public static SoftMask RefineEdges(this Mask m, BgraImage image, RefineEdgeOptions? options = null) =>
        (options ?? RefineEdgeOptions.Default).Apply(m.Data, m.Width, m.Height, image);
    public static SoftMask RefineEdges(this SoftMask m, BgraImage image, RefineEdgeOptions? options = null) =>
        (options ?? RefineEdgeOptions.Default).Apply(m.Data, m.Width, m.Height, image);

    private static Mask Combine(Mask a, Mask b, ByteOp op)
    {
        MaskChecks.SameSize(a.Width, a.Height, b.Width, b.Height, "first mask", "second mask");
        var d = new byte[a.Data.Length];
        ByteOps.ApplyPlanes(op, a.Data, b.Data, d);
        return new Mask(a.Width, a.Height, d);
    }

    private static SoftMask Combine(SoftMask a, SoftMask b, ByteOp op)
    {
        MaskChecks.SameSize(a.Width, a.Height, b.Width, b.Height, "first mask", "second mask");
        var d = new byte[a.Data.Length];
        ByteOps.ApplyPlanes(op, a.Data, b.Data, d);
        return new SoftMask(a.Width, a.Height, d);
    }
}

using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Masks;

/// <summary>Grow (dilate) by a Euclidean radius: a pixel joins when its centre is within <see cref="Radius"/> px (d² &lt;= r²) of a selected pixel's centre.</summary>
public sealed class GrowOptions
{
    public GrowOptions(int radius) => Radius = MaskOptionChecks.Radius(radius);

    /// <summary>Radius in pixels, &gt;= 0. 0 copies; radii beyond the image diagonal select everything (if anything is selected).</summary>
    public int Radius { get; }

    internal Mask Apply(Mask m) => new(m.Width, m.Height, Morphology.Grow(m.Data, m.Width, m.Height, Radius));
}

/// <summary>
/// Shrink (erode) by a Euclidean radius: a selected pixel stays when no unselected pixel is within
/// <see cref="Radius"/> px (d² &lt;= r²). Outside the image does not count as unselected, so a selection that
/// touches the border keeps touching it.
/// </summary>
public sealed class ShrinkOptions
{
    public ShrinkOptions(int radius) => Radius = MaskOptionChecks.Radius(radius);

    /// <summary>Radius in pixels, &gt;= 0. 0 copies; huge radii clear everything unless the whole image is selected.</summary>
    public int Radius { get; }

    internal Mask Apply(Mask m) => new(m.Width, m.Height, Morphology.Shrink(m.Data, m.Width, m.Height, Radius));
}

public enum FeatherMode
{
    /// <summary>Linear alpha ramp <c>Width</c> px wide centred on the edge, from the exact signed distance.</summary>
    Distance,
    /// <summary>Gaussian blur of the hard mask with σ = Width / 2, approximated by three box passes.</summary>
    Gaussian,
}

/// <summary>Soft edge of <see cref="Width"/> pixels. Alpha stays 255 deeper than the soft edge inside and 0 beyond it outside.</summary>
public sealed class FeatherOptions
{
    public FeatherOptions(float width, FeatherMode mode = FeatherMode.Distance)
    {
        if (!float.IsFinite(width) || width < 0)
            throw new SegArgumentException("feather width", $"must be a finite number of pixels >= 0, got {width}");
        if (mode is not (FeatherMode.Distance or FeatherMode.Gaussian))
            throw new SegArgumentException("feather mode", $"unknown mode {(int)mode}; use Distance or Gaussian");
        Width = width;
        Mode = mode;
    }

    public float Width { get; }
    public FeatherMode Mode { get; }

    internal SoftMask Apply(Mask m)
    {
        if (Width == 0) return SoftMask.FromMask(m);
        var data = Mode == FeatherMode.Distance
            ? Feathering.Distance(m.Data, m.Width, m.Height, Width)
            : Feathering.Gaussian(m.Data, m.Width, m.Height, Width);
        return new SoftMask(m.Width, m.Height, data);
    }
}

/// <summary>Smooths jagged boundaries: Gaussian blur (three box passes, σ = <see cref="Sigma"/>) then threshold at alpha 0.5.</summary>
public sealed class SmoothOptions
{
    public SmoothOptions(float sigma)
    {
        if (!float.IsFinite(sigma) || sigma < 0)
            throw new SegArgumentException("smooth sigma", $"must be a finite number of pixels >= 0, got {sigma}");
        Sigma = sigma;
    }

    public float Sigma { get; }

    internal Mask Apply(Mask m)
    {
        var data = Tiles.BlurPlane(m.Data, m.Width, m.Height, BoxBlur.RadiusForSigma(Sigma), 3);
        ByteOps.Threshold(data, 128, data);
        return new Mask(m.Width, m.Height, data);
    }
}

/// <summary>
/// Fills holes: unselected regions (4-connected) that do not touch the image border, with area at most
/// <see cref="MaxArea"/> pixels.
/// </summary>
public sealed class FillHolesOptions
{
    public FillHolesOptions(long maxArea)
    {
        if (maxArea < 0) throw new SegArgumentException("max hole area", $"must be >= 0 pixels, got {maxArea}");
        MaxArea = maxArea;
    }

    /// <summary>Every hole regardless of size.</summary>
    public static FillHolesOptions All { get; } = new(long.MaxValue);

    public long MaxArea { get; }

    internal Mask Apply(Mask m)
    {
        var c = Components.Label(m.Data, m.Width, m.Height, set: false, eightConnected: false);
        var fill = new bool[c.Count];
        for (int i = 0; i < c.Count; i++) fill[i] = !c.TouchesBorder[i] && c.Area[i] <= MaxArea;
        var data = (byte[])m.Data.Clone();
        c.Paint(data, fill, Mask.On);
        return new Mask(m.Width, m.Height, data);
    }
}

/// <summary>Removes islands: selected regions (8-connected) with fewer than <see cref="MinArea"/> pixels.</summary>
public sealed class RemoveIslandsOptions
{
    public RemoveIslandsOptions(long minArea)
    {
        if (minArea < 0) throw new SegArgumentException("min island area", $"must be >= 0 pixels, got {minArea}");
        MinArea = minArea;
    }

    public long MinArea { get; }

    internal Mask Apply(Mask m)
    {
        var c = Components.Label(m.Data, m.Width, m.Height, set: true, eightConnected: true);
        var drop = new bool[c.Count];
        for (int i = 0; i < c.Count; i++) drop[i] = c.Area[i] < MinArea;
        var data = (byte[])m.Data.Clone();
        c.Paint(data, drop, Mask.Off);
        return new Mask(m.Width, m.Height, data);
    }
}

/// <summary>
/// Guided-filter edge refinement (He, Sun and Tang, "Guided Image Filtering", TPAMI 2013) with the image's grey
/// level (Rec. 601 luma, 0..1) as guide. <see cref="Radius"/> is the window radius r, <see cref="Epsilon"/> the
/// regulariser ε on that 0..1 scale: image edges with local variance well above ε are followed, flatter areas
/// are smoothed. The paper's feathering example uses a very small ε (1e-6) with a large window; with the small
/// windows used at mask edges that amplifies noise, so the default is ε = 1e-4 (a grey-level standard
/// deviation of 0.01) with r = 8. Only pixels within 2r of an edge can change.
/// </summary>
public sealed class RefineEdgeOptions
{
    public RefineEdgeOptions(int radius = 8, float epsilon = 1e-4f)
    {
        if (radius < 1 || radius > 256)
            throw new SegArgumentException("refine radius", $"must be 1..256 pixels, got {radius}");
        if (!float.IsFinite(epsilon) || epsilon <= 0)
            throw new SegArgumentException("refine epsilon", $"must be a positive finite number (0..1 grey scale, e.g. 1e-4), got {epsilon}");
        Radius = radius;
        Epsilon = epsilon;
    }

    public static RefineEdgeOptions Default { get; } = new();

    public int Radius { get; }
    public float Epsilon { get; }

    internal SoftMask Apply(byte[] alpha, int width, int height, BgraImage guide)
    {
        MaskChecks.SameSize(width, height, guide.Width, guide.Height, "mask", "guide image");
        return new SoftMask(width, height, GuidedFilter.Refine(alpha, width, height, guide, Radius, Epsilon));
    }
}

internal static class MaskOptionChecks
{
    public static int Radius(int radius) => radius >= 0 ? radius
        : throw new SegArgumentException("radius", $"must be >= 0 pixels, got {radius}; to shrink instead of grow (or the reverse) use the other operation");
}

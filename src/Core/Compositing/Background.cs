using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Compositing;

/// <summary>What goes behind the cut-out in Compositor.ReplaceBackground.</summary>
public abstract record Background
{
    private Background() { }

    /// <summary>A flat colour (straight alpha; 255 = opaque).</summary>
    public sealed record SolidColor(byte R, byte G, byte B, byte A = 255) : Background;

    /// <summary>Another image, scaled to cover the whole frame (bilinear, aspect kept, centre crop).</summary>
    public sealed record Picture(BgraImage Source) : Background;

    /// <summary>
    /// A blurred copy of the original approximating a Gaussian of standard deviation <see cref="Sigma"/> px: three
    /// box passes at full resolution below σ = 4, above that three box passes on a copy reduced by f ≈ σ/2 and
    /// sampled back bilinearly (the reduction's own smoothing is accounted for in the remaining σ).
    /// </summary>
    public sealed record Blurred(float Sigma) : Background;

    public static Background Color(byte r, byte g, byte b, byte a = 255) => new SolidColor(r, g, b, a);
    public static Background Image(BgraImage image) => new Picture(image ?? throw new SegArgumentException("background image", "is null"));
    public static Background Blur(float sigma) => float.IsFinite(sigma) && sigma >= 0 ? new Blurred(sigma)
        : throw new SegArgumentException("background blur sigma", $"must be a finite number of pixels >= 0, got {sigma}");
}

/// <summary>How colours are kept at soft edges.</summary>
public sealed class CutOutOptions
{
    /// <param name="decontaminate">
    /// Re-estimate the foreground colour F of partly transparent pixels from I = aF + (1-a)B, with B the mean colour of
    /// fully unselected pixels within <paramref name="radius"/> px. Removes the old background's tint from hair and edges.
    /// </param>
    /// <param name="radius">Window radius for the local background estimate, 1..256 px.</param>
    public CutOutOptions(bool decontaminate = false, int radius = 8)
    {
        if (radius < 1 || radius > 256) throw new SegArgumentException("decontamination radius", $"must be 1..256 pixels, got {radius}");
        Decontaminate = decontaminate;
        Radius = radius;
    }

    public static CutOutOptions Default { get; } = new();

    public bool Decontaminate { get; }
    public int Radius { get; }
}

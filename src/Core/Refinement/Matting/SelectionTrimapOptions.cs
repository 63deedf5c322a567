namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// How <see cref="SelectionTrimap"/> turns a selection into a trimap. Widths are fractions of the image's longer side,
/// so that a photo and its 12 MP original get the same band. Each default names the measurement that chose it:
/// matting-dev (9 photos, about 800 px), box prompt, mean SAD of the matte (the refined selection alone: 21.84);
/// docs/matting.md has the per-image tables.
/// </summary>
public sealed record SelectionTrimapOptions
{
    /// <summary>
    /// Half-width of the unknown band on each side of the selection's edge, as a fraction of the longer side.
    /// 0.006 (5 px at 800 px): SAD 20.24; 0.0025 (2 px) 20.73, 0.005 (4 px) 20.38, 0.015 (12 px) 23.04 together with
    /// the model-doubt rules below.
    /// </summary>
    public double EdgeBand { get; init; } = 0.006;

    /// <summary>How far from the edge (fraction of the longer side; never less than <see cref="EdgeBand"/>) the doubt rules below may widen the band.</summary>
    public double MaxBand { get; init; } = 0.02;

    /// <summary>
    /// Pixels within <see cref="MaxBand"/> whose model logit lies within ±this are unknown (the model is unsure there).
    /// Off (0) by default: 2 gave SAD 20.47 against 20.38 without, 4 gave 28.3 and 8 gave 38.0 with the disagreement rule:
    /// on this set the model's doubt sits on whole wrong regions (objects inside the box), and a wide unknown region with
    /// no known pixel of the right kind nearby mattes worse than the selection it started from.
    /// </summary>
    public float UnsureLogit { get; init; }

    /// <summary>
    /// Pixels within <see cref="MaxBand"/> where the model and the colour refinement disagree are unknown. Off by default:
    /// SAD 20.79 with it, 20.38 without (same reason as <see cref="UnsureLogit"/>).
    /// </summary>
    public bool Disagreement { get; init; }

    /// <summary>
    /// Fine texture (mean absolute difference of luminance from its 3x3 mean over a window of radius
    /// <see cref="TextureWindow"/>, on the 0..255 scale) at or above which the band widens to <see cref="MaxBand"/>:
    /// hair, fur and foliage are busy at the pixel scale, hard edges are not. Off (0) by default: thresholds 4, 6 and 9
    /// gave SAD 20.51, 20.54 and 20.45 against 20.38 without (the band is not where this set's error is; see docs).
    /// </summary>
    public float HairTexture { get; init; }

    /// <summary>Window radius (px) of the texture measure.</summary>
    public int TextureWindow { get; init; } = 4;

    public static SelectionTrimapOptions Default { get; } = new();

    /// <summary>The band's half-width in pixels for an image of the given size (at least 1).</summary>
    public int EdgeRadius(int width, int height) => Math.Max(1, (int)Math.Round(EdgeBand * Math.Max(width, height)));

    /// <summary>The widest band in pixels for an image of the given size.</summary>
    public int MaxRadius(int width, int height) => Math.Max(EdgeRadius(width, height), (int)Math.Round(MaxBand * Math.Max(width, height)));

    internal void Validate()
    {
        if (!(EdgeBand >= 0 && EdgeBand <= 0.25)) throw new SegArgumentException("trimap edge band", $"must be 0..0.25 of the longer side, got {EdgeBand}");
        if (!(MaxBand >= 0 && MaxBand <= 0.25)) throw new SegArgumentException("trimap max band", $"must be 0..0.25 of the longer side, got {MaxBand}");
        if (!(UnsureLogit >= 0)) throw new SegArgumentException("trimap unsure logit", $"must be >= 0, got {UnsureLogit}");
        if (!(HairTexture >= 0)) throw new SegArgumentException("trimap hair texture", $"must be >= 0, got {HairTexture}");
        if (TextureWindow is < 1 or > 64) throw new SegArgumentException("trimap texture window", $"must be 1..64 px, got {TextureWindow}");
    }
}

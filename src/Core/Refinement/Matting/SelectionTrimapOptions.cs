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

    /// <summary>
    /// The colour rule: within a zone inside the selection's edge (<see cref="GuardedColorZone"/> with a box's subject
    /// map, <see cref="ColorZone"/> without), a pixel whose colour's log-likelihood
    /// under the background mixture (fitted to the ring within <see cref="ColorRing"/> outside the selection) exceeds
    /// the foreground mixture's (fitted to the selection's sure inside) by more than this becomes known background; by
    /// more than this the other way it stays foreground; in between it is unknown. The matte then resolves what the
    /// selection filled but the photo shows through (a curtain between branches, sky between strands of hair). 0 turns
    /// it off. Box prompt, matting-dev, with the region prior (<see cref="BoxRegionPrior"/>), zone and ring 0.05, 10
    /// components, no subject guard: mean SAD 11.94 without, 10.40 with 2 (1: 10.45, 1.5: 10.44, 2.5: 10.40, 3: 10.43,
    /// 4: 10.53, 8: 11.81); with the guard and its wider zone (the box path's default) 9.83. Per image in
    /// docs/matting.md (one of the nine loses a little: fur whose dark tips look like the background).
    /// </summary>
    public float ColorEvidence { get; init; } = 2f;

    /// <summary>
    /// How far inside the selection's edge (fraction of the longer side) the colour rule relabels pixels when no subject
    /// map guards it (clicks, finished masks). Off (0) by default: at 0.05 a click on the coffee-cup sample changed alpha
    /// 8 px and more inside the cup (alpha 124 where the photo is opaque cup; the Paint.NET effect's test of the inside),
    /// and without the map nothing tells such parts from see-through gaps. On matting-dev's box path, unguarded, 0.05 (40 px at 800 px) gave SAD 10.40; 0.02: 11.00, 0.03: 10.75,
    /// 0.07: 10.25, 0.1: 10.04, 0.12: 9.90, but from 0.07 on solid dark parts of objects became holes (a toy's pupils:
    /// 2.90 -> 3.50 -> 3.83), which the guard prevents (<see cref="GuardedColorZone"/>).
    /// </summary>
    public double ColorZone { get; init; }

    /// <summary>
    /// Width of the ring outside the selection (beyond the band; fraction of the longer side) whose colours make the
    /// background mixture. 0.05: SAD 10.40 (zone 0.05, unguarded); 0.03: 10.43, 0.1: 10.37, 0.2: 10.39.
    /// </summary>
    public double ColorRing { get; init; } = 0.05;

    /// <summary>
    /// With the salient-object map of a box's crop (<see cref="SelectionTrimap.Build(Imaging.BgraImage, Masks.LogitMap, Masks.Mask, SelectionTrimapOptions?, Masks.LogitMap?)"/>,
    /// the box path), colour never makes known background where the map is at least this sure of the object (such
    /// pixels become unknown instead): the map saturates inside solid parts of the object (a toy's black pupils, which
    /// the colour mixtures took for the shadowed ground) and not in the gaps the photo shows through. With it the zone
    /// can be <see cref="GuardedColorZone"/>. Zone 0.12: SAD 9.83 with 0.995; 0.98: 10.22, 0.99: 9.99, 0.999: 9.71 (but
    /// the pupils come back, 2.56 -> 2.95), 1 (no guard): 9.90 (pupils 3.83). The threshold sits in the map's saturated
    /// tail, so it is a claim for the held-out photos to check. 1 turns the guard off.
    /// </summary>
    public float SubjectGuard { get; init; } = 0.995f;

    /// <summary>
    /// <see cref="ColorZone"/> when the salient-object map guards the rule (<see cref="SubjectGuard"/>). 0.12: SAD 9.83;
    /// 0.05: 10.32, 0.08: 10.06, 0.1: 9.94, 0.15: 9.74, 0.2: 9.73 (0.12 kept: the gain beyond it is within what one photo
    /// moves, and a narrower zone risks fewer holes and costs less).
    /// </summary>
    public double GuardedColorZone { get; init; } = 0.12;

    /// <summary>Gaussian components per colour mixture. 10: SAD 10.40; 3: 10.71, 5: 10.63, 8: 10.49, 16: 10.33 (zone and ring 0.05, unguarded).</summary>
    public int ColorComponents { get; init; } = 10;

    /// <summary>
    /// The colour rule runs only where colours tell the sides apart: at least this share of the selection's sure inside
    /// must be clearly foreground to the two mixtures, and of the ring clearly background (by <see cref="ColorEvidence"/>).
    /// A safety gate, not tuned: on matting-dev the lowest share is 0.74 (a bonsai before a curtain and a poster), most
    /// are 0.94-1.0; an object the colour of its background gives about 0, and then the band alone is used.
    /// </summary>
    public double ColorMinSeparation { get; init; } = 0.5;

    public static SelectionTrimapOptions Default { get; } = new();

    /// <summary>The band's half-width in pixels for an image of the given size (at least 1).</summary>
    public int EdgeRadius(int width, int height) => Math.Max(1, (int)Math.Round(EdgeBand * Math.Max(width, height)));

    /// <summary>The colour rule's zone inside the edge, in pixels, for an image of the given size (<paramref name="guarded"/>: with the subject map).</summary>
    public int ColorZoneRadius(int width, int height, bool guarded = false) => (int)Math.Round((guarded ? GuardedColorZone : ColorZone) * Math.Max(width, height));

    /// <summary>The colour rule's background ring, in pixels (beyond the band), for an image of the given size.</summary>
    public int ColorRingRadius(int width, int height) => Math.Max(EdgeRadius(width, height) + 1, (int)Math.Round(ColorRing * Math.Max(width, height)));

    /// <summary>The widest band in pixels for an image of the given size.</summary>
    public int MaxRadius(int width, int height) => Math.Max(EdgeRadius(width, height), (int)Math.Round(MaxBand * Math.Max(width, height)));

    internal void Validate()
    {
        if (!(EdgeBand >= 0 && EdgeBand <= 0.25)) throw new SegArgumentException("trimap edge band", $"must be 0..0.25 of the longer side, got {EdgeBand}");
        if (!(MaxBand >= 0 && MaxBand <= 0.25)) throw new SegArgumentException("trimap max band", $"must be 0..0.25 of the longer side, got {MaxBand}");
        if (!(UnsureLogit >= 0)) throw new SegArgumentException("trimap unsure logit", $"must be >= 0, got {UnsureLogit}");
        if (!(HairTexture >= 0)) throw new SegArgumentException("trimap hair texture", $"must be >= 0, got {HairTexture}");
        if (TextureWindow is < 1 or > 64) throw new SegArgumentException("trimap texture window", $"must be 1..64 px, got {TextureWindow}");
        if (!(ColorEvidence >= 0 && float.IsFinite(ColorEvidence))) throw new SegArgumentException("trimap colour evidence", $"must be a finite log-likelihood margin >= 0 (0: off), got {ColorEvidence}");
        if (!(ColorZone >= 0 && ColorZone <= 0.25)) throw new SegArgumentException("trimap colour zone", $"must be 0..0.25 of the longer side, got {ColorZone}");
        if (!(ColorRing > 0 && ColorRing <= 0.25)) throw new SegArgumentException("trimap colour ring", $"must be in (0, 0.25] of the longer side, got {ColorRing}");
        if (!(SubjectGuard >= 0f && SubjectGuard <= 1f)) throw new SegArgumentException("trimap subject guard", $"must be 0..1 (1: off), got {SubjectGuard}");
        if (!(GuardedColorZone >= 0 && GuardedColorZone <= 0.25)) throw new SegArgumentException("trimap guarded colour zone", $"must be 0..0.25 of the longer side, got {GuardedColorZone}");
        if (!(ColorMinSeparation >= 0 && ColorMinSeparation <= 1)) throw new SegArgumentException("trimap colour min separation", $"must be 0..1, got {ColorMinSeparation}");
        if (ColorComponents is < 1 or > 32) throw new SegArgumentException("trimap colour components", $"must be 1..32, got {ColorComponents}");
    }
}

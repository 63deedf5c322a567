namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// Settings of <see cref="MatteSolver"/>: closed-form matting (Levin, Lischinski, Weiss 2008) solved by
/// Jacobi-preconditioned conjugate gradients over the unknown pixels, started from a coarse-to-fine estimate,
/// then foreground colours by multi-level foreground estimation (Germer et al. 2020).
/// </summary>
public sealed record MatteOptions
{
    /// <summary>
    /// Regularisation of the colour-line model per 3x3 window (colours on the 0..1 scale). 1e-7 is the value of Levin et
    /// al.'s reference code; larger values smooth alpha in flat regions at the cost of detail.
    /// </summary>
    public double Epsilon { get; init; } = 1e-7;

    /// <summary>
    /// Conjugate gradients stop when the residual norm falls below this fraction of the right-hand side's norm.
    /// Coarser levels use this times 0.3 per level. Chosen on matting-dev with the benchmark trimaps (docs/matting.md): mean
    /// SAD 5.07 at 1e-3, 4.87 at 5e-4, 4.83 at 2e-4, 4.94 at 1e-5 (measured without the coarser levels' tightening; a fully
    /// converged solve is no better and costs 5-10x the iterations); 4.96 at 5e-4 with it. With the coarse levels that keep
    /// one-pixel known patches and the settled finest band: trimap SAD 4.840 at 5e-4, 4.803 at 1e-3; box SAD 11.939 and
    /// 11.948 (before both: 11.936); 12 MP finest-level iterations 52 and 22. 1e-3 is not taken because the box prompt's
    /// SAD moves. The largest alpha step per iteration is no stopping rule: on the 12 MP benchmark some pixels still move
    /// by more than 1/255 per iteration when the residual rule stops, and at 1/255 matting-dev's SAD rose (4.953 -> 4.968,
    /// earlier coarse levels).
    /// </summary>
    public double Tolerance { get; init; } = 5e-4;

    /// <summary>Iteration cap of conjugate gradients at the finest level (each coarser level gets twice as many).</summary>
    public int MaxIterations { get; init; } = 600;

    /// <summary>
    /// A level is first solved at half resolution (recursively) when it has at least this many unknown pixels;
    /// the coarse answer, sampled up, is the starting point, which cuts the iterations needed on wide bands.
    /// </summary>
    public int CoarseToFineMinUnknown { get; init; } = 256;

    /// <summary>
    /// Solve a level only where its coarser level left alpha unknown: an unknown pixel whose upsampled coarse alpha is
    /// within <see cref="SaturationMargin"/> of 0 (or of 1) throughout the square of radius <see cref="SaturationRadius"/>
    /// around it becomes known at 0 (or 1). The stencil and CG then cover only the fractional part of the band (on the
    /// 12 MP benchmark a third of the band; matting-dev trimap SAD 4.84 against 4.90 without, both with today's coarse
    /// levels; the 12 MP benchmark's SAD against its true alpha 32.5 against 34.3). Off: every level is solved over the
    /// whole trimap band (for A/B comparisons).
    /// </summary>
    public bool SettleSaturated { get; init; } = true;

    /// <summary>
    /// How close to 0 or 1 the coarse alpha must be for a pixel to be settled (0..1 scale). Textured colours leave the
    /// coarse alpha a few hundredths off 0 and 1 where it is saturated, so a margin of 0.01 settles too little. matting-dev
    /// trimap SAD (tolerance 5e-4, radius 3): 0.01: 4.890, 0.03: 4.860, 0.05: 4.850, 0.1 (earlier coarse levels): 5.031;
    /// 12 MP benchmark (unknowns x finest-level iterations, earlier coarse levels): 0.01: 385k x 130, 0.03: 296k x 140,
    /// 0.05: 262k x 174.
    /// </summary>
    public double SaturationMargin { get; init; } = 0.03;

    /// <summary>
    /// Radius in pixels (of the level being solved) of the square that must be saturated throughout: the band keeps this
    /// margin around fractional alpha. matting-dev trimap SAD at tolerance 1e-3: radius 2: 4.803, 3: 4.864 (at 5e-4: 2: 4.840,
    /// 3: 4.860, 4: 4.879).
    /// </summary>
    public int SaturationRadius { get; init; } = 2;

    /// <summary>
    /// How many of the finest levels are narrowed (1: the full-resolution level only; a narrowed level's answer seeds the
    /// next finer one, so errors compound: matting-dev trimap SAD at tolerance 5e-4 and radius 3, 1: 4.860, 2: 4.879).
    /// </summary>
    public int SettleLevels { get; init; } = 1;

    /// <summary>Estimate foreground colours (needed for cut-outs without the old background's tint in hair).</summary>
    public bool EstimateForeground { get; init; } = true;

    /// <summary>Germer et al.'s regularisation of the foreground/background smoothness (their default 1e-5).</summary>
    public double ForegroundRegularization { get; init; } = 1e-5;

    /// <summary>Germer et al.'s weight of the alpha gradient in the smoothness term (their default 1).</summary>
    public double ForegroundGradientWeight { get; init; } = 1.0;

    public static MatteOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(Epsilon > 0 && Epsilon <= 1)) throw new SegArgumentException("matte epsilon", $"must be in (0, 1], got {Epsilon}");
        if (!(Tolerance > 0 && Tolerance < 1)) throw new SegArgumentException("matte tolerance", $"must be in (0, 1), got {Tolerance}");
        if (MaxIterations is < 1 or > 100_000) throw new SegArgumentException("matte max iterations", $"must be 1..100000, got {MaxIterations}");
        if (CoarseToFineMinUnknown < 16) throw new SegArgumentException("matte coarse-to-fine threshold", $"must be at least 16 pixels, got {CoarseToFineMinUnknown}");
        if (!(SaturationMargin >= 0 && SaturationMargin < 0.5)) throw new SegArgumentException("matte saturation margin", $"must be in [0, 0.5), got {SaturationMargin}");
        if (SaturationRadius is < 0 or > 64) throw new SegArgumentException("matte saturation radius", $"must be 0..64 pixels, got {SaturationRadius}");
        if (SettleLevels is < 1 or > 32) throw new SegArgumentException("matte settle levels", $"must be 1..32, got {SettleLevels}");
        if (!(ForegroundRegularization > 0)) throw new SegArgumentException("foreground regularization", $"must be > 0, got {ForegroundRegularization}");
        if (!(ForegroundGradientWeight >= 0)) throw new SegArgumentException("foreground gradient weight", $"must be >= 0, got {ForegroundGradientWeight}");
    }
}

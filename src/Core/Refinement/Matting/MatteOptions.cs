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
    /// converged solve is no better and costs 5-10x the iterations); 4.96 at 5e-4 with it.
    /// </summary>
    public double Tolerance { get; init; } = 5e-4;

    /// <summary>Iteration cap of conjugate gradients at the finest level (each coarser level gets twice as many).</summary>
    public int MaxIterations { get; init; } = 600;

    /// <summary>
    /// A level is first solved at half resolution (recursively) when it has at least this many unknown pixels;
    /// the coarse answer, sampled up, is the starting point, which cuts the iterations needed on wide bands.
    /// </summary>
    public int CoarseToFineMinUnknown { get; init; } = 256;

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
        if (!(ForegroundRegularization > 0)) throw new SegArgumentException("foreground regularization", $"must be > 0, got {ForegroundRegularization}");
        if (!(ForegroundGradientWeight >= 0)) throw new SegArgumentException("foreground gradient weight", $"must be >= 0, got {ForegroundGradientWeight}");
    }
}

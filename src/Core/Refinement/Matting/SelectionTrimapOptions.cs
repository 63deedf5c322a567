namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// How <see cref="SelectionTrimap"/> turns a selection into a trimap. Each default names the measurement that chose it
/// (matting-dev, <c>segplug eval --mode matte --matte-prompt box</c>; docs/matting.md has the tables).
/// </summary>
public sealed record SelectionTrimapOptions
{
    /// <summary>Band half-width (px) on each side of the selection's edge where the edge is hard. </summary>
    public int EdgeRadius { get; init; } = 4;

    /// <summary>Pixels whose model logit lies within ±this are unknown (the model is unsure there).</summary>
    public float UnsureLogit { get; init; } = 2f;

    public static SelectionTrimapOptions Default { get; } = new();

    internal void Validate()
    {
        if (EdgeRadius is < 0 or > 256) throw new SegArgumentException("trimap edge radius", $"must be 0..256 px, got {EdgeRadius}");
        if (!(UnsureLogit >= 0)) throw new SegArgumentException("trimap unsure logit", $"must be >= 0, got {UnsureLogit}");
    }
}

using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Refinement.Internal;

/// <summary>
/// The graph of the last colour cut of an interactive selection, kept for the next one. A correction click usually
/// refines the same working region of the same image: the grid's colours, and so its links, are the same, and only
/// the terminal costs (the colour mixtures and the model's new answer) change. The next cut then starts from the
/// flow the last one left (<see cref="GridMaxFlow.ChangeTerminals"/>) instead of from nothing; its labels are the
/// same as a cut from scratch gives, since the minimum cut found does not depend on how the flow got there.
/// <para>
/// One per click chain, and like the chain not for use from several threads at once (its region and counters are
/// plain fields). A cut takes the graph out while it works, so a cut that fails or is cancelled leaves nothing behind.
/// </para>
/// </summary>
internal sealed class ColorCutReuse
{
    private Entry? _entry;

    private sealed record Entry(GridMaxFlow Graph, uint[] Colors, double Smoothness);

    private PixelRect? _region;

    /// <summary>
    /// The working region to refine in: the previous refinement's when <paramref name="region"/> lies inside it and
    /// the previous one's area is at most 1 + <paramref name="slack"/> times its own (a little more context, and the
    /// same grid as before, so the cut can start from the kept graph); else <paramref name="region"/>, which is then
    /// remembered. A slack of 0 keeps only an equal region.
    /// </summary>
    public PixelRect StickyRegion(PixelRect region, double slack)
    {
        if (_region is { } kept && region.X >= kept.X && region.Y >= kept.Y && region.Right <= kept.Right && region.Bottom <= kept.Bottom
            && (double)kept.Width * kept.Height <= (1 + slack) * ((double)region.Width * region.Height))
            return kept;
        _region = region;
        return region;
    }

    /// <summary>Cuts that started from the kept graph (for tests and measurements).</summary>
    public int Hits { get; private set; }

    /// <summary>Cuts that built a new graph.</summary>
    public int Misses { get; private set; }

    /// <summary>
    /// The kept graph when it was built for this grid (same size, colours and smoothness), taken out of the cache;
    /// else null.
    /// </summary>
    public GridMaxFlow? Take(int width, int height, uint[] colors, double smoothness)
    {
        var e = _entry;
        _entry = null;
        if (e is not null && e.Graph.Width == width && e.Graph.Height == height && e.Smoothness.Equals(smoothness)
            && e.Colors.AsSpan().SequenceEqual(colors))
        {
            Hits++;
            return e.Graph;
        }
        Misses++;
        return null;
    }

    /// <summary>Keeps <paramref name="graph"/>, solved with saved links over <paramref name="colors"/>, for the next cut.</summary>
    public void Keep(GridMaxFlow graph, uint[] colors, double smoothness) => _entry = new Entry(graph, colors, smoothness);
}

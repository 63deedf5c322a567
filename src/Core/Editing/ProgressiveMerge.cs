using System.Buffers;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Editing;

/// <summary>
/// Settings of <see cref="ProgressiveMerge"/> in a <see cref="ClickChain"/>. The defaults are the measured ones
/// (docs/evaluation.md, "Progressive merge").
/// </summary>
public sealed record ProgressiveMergeOptions
{
    /// <summary>
    /// The first click (1-based) whose answer is merged into the previous selection instead of replacing it; 0 turns
    /// the merge off. The first click has no selection to merge into, so any other value must be at least 2.
    /// </summary>
    public int FromClick { get; init; }

    /// <summary>
    /// With a value above 0, a click changes pixels only inside a square around it whose half side is this many times
    /// the click's distance to the previous selection's edge (at least <see cref="MinWindow"/> pixels): a click just
    /// inside or outside the edge corrects the edge near it, a click far from it may change a large region. The
    /// distance is to the nearest selected pixel for an include click and to the nearest unselected pixel (the image
    /// border counting as unselected) for an exclude click. 0 = the change may reach anywhere in the image.
    /// </summary>
    public double EdgeWindow { get; init; }

    /// <summary>
    /// With a value above 0, only a click near the previous selection's edge is merged: one whose distance to the
    /// edge is at most this fraction of the selection's largest inner depth (as <see cref="Segmentation.CorrectionGuardOptions.EdgeDepth"/>
    /// measures it). A click farther from the edge says a large part is wrong, and its answer stands. 0 = every click is merged.
    /// </summary>
    public double EdgeDepth { get; init; }

    /// <summary>Least half side of the window in pixels, so a click right at the edge can still make a visible change.</summary>
    public int MinWindow { get; init; } = 16;

    /// <summary>
    /// With a value above 0 (at least 1), a click changes pixels only inside a band along the previous selection's
    /// whole edge, as wide as this many times the click's distance to the edge (at least <see cref="MinBand"/> pixels):
    /// outside the selection for an include click (pixels that near a selected pixel), inside it for an exclude click
    /// (pixels that near an unselected one, the image border counting as unselected). Unlike the square
    /// <see cref="EdgeWindow"/>, a long strip along a straight edge passes; a change that reaches deep into the
    /// object or far into the background does not. Distances are exact (Euclidean distance transform of the previous
    /// selection). Not together with <see cref="EdgeWindow"/>. 0 = no band.
    /// </summary>
    public double EdgeBand { get; init; }

    /// <summary>Least width of the band in pixels, so a click right at the edge can still move it visibly.</summary>
    public int MinBand { get; init; } = 4;

    /// <summary>
    /// True: only the connected region of changed pixels that holds the click is taken (FocalClick). False: every pixel
    /// the answer changes the click's way inside the window is taken (needs <see cref="EdgeWindow"/>).
    /// </summary>
    public bool ConnectedOnly { get; init; } = true;

    /// <summary>
    /// When the answer does not change the clicked pixel the way the click asks (the decoder ignored the click): false,
    /// the selection stays as it was; true, the answer stands unmerged (it may still correct the edge elsewhere, and a
    /// selection that stays as it was gets the next click at the same place).
    /// </summary>
    public bool IgnoredClickTakesAnswer { get; init; }

    /// <summary>
    /// True: a <see cref="ClickChain"/> merges only when it refines its answers with colours (<see cref="ColorFusion"/>);
    /// a chain that gives the model's answers as they are (the plain engine) is left as it is. False: every chain merges.
    /// Read for <see cref="ClickChainOptions.Merge"/> only: the answers the small-object gate made plain in a colour-fused
    /// chain merge as <see cref="ClickChainOptions.PlainMerge"/> says.
    /// </summary>
    public bool ColorFusionOnly { get; init; }

    public static ProgressiveMergeOptions Default { get; } = new();

    /// <summary>True when the answer to click <paramref name="clickNumber"/> (1-based) is merged.</summary>
    public bool AppliesTo(int clickNumber) => FromClick >= 2 && clickNumber >= FromClick;

    internal void Validate()
    {
        if (FromClick < 0 || FromClick == 1) throw new SegArgumentException("merge from click", $"must be 0 (off) or at least 2, got {FromClick}");
        if (!(EdgeWindow >= 0 && EdgeWindow <= 1000)) throw new SegArgumentException("merge edge window", $"must be between 0 (no window) and 1000, got {EdgeWindow}");
        if (!(EdgeBand == 0 || (EdgeBand >= 1 && EdgeBand <= 1000))) throw new SegArgumentException("merge edge band", $"must be 0 (no band) or between 1 and 1000 (the band must reach the click), got {EdgeBand}");
        if (EdgeBand > 0 && EdgeWindow > 0) throw new SegArgumentException("merge edge band", "and the edge window exclude each other: set one of them to 0");
        if (!ConnectedOnly && EdgeWindow == 0 && EdgeBand == 0) throw new SegArgumentException("merge connected only", "can be false only with an edge window or band; without either the merge would take the whole answer");
        if (!(EdgeDepth >= 0 && EdgeDepth <= 1)) throw new SegArgumentException("merge edge depth", $"must be between 0 (every click) and 1, got {EdgeDepth}");
        if (MinWindow < 1) throw new SegArgumentException("merge min window", $"must be at least 1 pixel, got {MinWindow}");
        if (MinBand < 1) throw new SegArgumentException("merge min band", $"must be at least 1 pixel, got {MinBand}");
    }
}

/// <summary>
/// FocalClick's progressive merge (Chen et al., CVPR 2022): a correction click changes the selection only in the
/// connected region of changed pixels it sits in, so the decoder cannot wreck distant, already correct parts of the
/// selection while answering a click elsewhere. An include click only adds the 8-connected region of pixels that
/// the new answer adds and that contains the click; an exclude click only removes the region that the answer removes
/// and that contains the click. When the answer does not change the clicked pixel the way the click asks, the
/// selection stays as it was (or, with <see cref="ProgressiveMergeOptions.IgnoredClickTakesAnswer"/>, the answer stands). Two limits go beyond the published form, because at the clicks where MobileSAM's answer
/// collapses the damage mostly lies in that very region (an exclude click just inside a good selection's edge that
/// removes a large part of the object): a window sized by the click's distance to the edge
/// (<see cref="ProgressiveMergeOptions.EdgeWindow"/>), and merging only clicks near the edge
/// (<see cref="ProgressiveMergeOptions.EdgeDepth"/>), since a click deep inside or far outside says a large part is wrong.
/// </summary>
public static class ProgressiveMerge
{
    /// <summary>The previous selection changed only where <paramref name="click"/> asks (see the class summary); a new mask.</summary>
    /// <param name="previous">The selection before the click.</param>
    /// <param name="answer">The answer to every click so far, the newest being <paramref name="click"/>.</param>
    /// <param name="click">The newest click, in image pixels.</param>
    /// <param name="options">Window settings; null for <see cref="ProgressiveMergeOptions.Default"/> (no window, the connected region only).</param>
    public static Mask Merge(Mask previous, Mask answer, PointPrompt click, ProgressiveMergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(answer);
        options ??= ProgressiveMergeOptions.Default;
        options.Validate();
        MaskChecks.SameSize(previous.Width, previous.Height, answer.Width, answer.Height, "previous selection", "answer");
        if (!float.IsFinite(click.X) || !float.IsFinite(click.Y))
            throw new SegArgumentException("click", $"({click.X}, {click.Y}) is not a finite point");
        int w = previous.Width, h = previous.Height;
        int cx = Math.Clamp((int)click.X, 0, w - 1), cy = Math.Clamp((int)click.Y, 0, h - 1);
        var result = previous.Clone();
        if (options.EdgeDepth > 0 && !Segmentation.CorrectionGuard.IsEdgeClick(previous, click, options.EdgeDepth)) return answer.Clone();

        // The pixels the answer changes in the click's direction: added for an include click, removed for an exclude click.
        var changed = new byte[w * h];
        if (click.Positive) ByteOps.Apply(ByteOp.MinNot, answer.Data, previous.Data, changed);
        else ByteOps.Apply(ByteOp.MinNot, previous.Data, answer.Data, changed);
        if (changed[cy * w + cx] == 0) return options.IgnoredClickTakesAnswer ? answer.Clone() : result;

        if (options.EdgeWindow > 0 && Window(previous, cx, cy, click.Positive, options) is { } window) ClearOutside(changed, w, h, window);
        if (options.EdgeBand > 0) ClearOutsideBand(changed, previous, cx, cy, click.Positive, options);
        if (!options.ConnectedOnly)
        {
            ByteOps.Apply(click.Positive ? ByteOp.Max : ByteOp.MinNot, result.Data, changed, result.Data);
            return result;
        }

        var regions = Components.Label(changed, w, h, set: true, eightConnected: true);
        var keep = new bool[regions.Count];
        keep[regions.LabelAt(cx, cy)] = true;
        regions.Paint(result.Data, keep, click.Positive ? Mask.On : Mask.Off);
        return result;
    }

    /// <summary>The window around pixel (cx, cy), clipped to the image; null when the selection has no edge to measure from.</summary>
    internal static PixelRect? Window(Mask previous, int cx, int cy, bool include, ProgressiveMergeOptions options)
    {
        int w = previous.Width, h = previous.Height;
        double d = EdgeDistance(previous, cx, cy, include);
        if (double.IsPositiveInfinity(d)) return null;
        double half = Math.Max(options.MinWindow, options.EdgeWindow * d);
        if (half >= Math.Max(w, h)) return null;
        int r = (int)half;
        int x0 = Math.Max(0, cx - r), y0 = Math.Max(0, cy - r);
        int x1 = Math.Min(w - 1, cx + r), y1 = Math.Min(h - 1, cy + r);
        return new PixelRect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    /// <summary>
    /// Euclidean distance from pixel (cx, cy) to the nearest selected pixel (<paramref name="include"/>) or to the
    /// nearest unselected one, the image border counting as unselected; infinity when there is none. Row by row:
    /// the nearest wanted pixel of each row is found by a vectorised search outwards from cx, and rows farther than
    /// the best distance so far are not visited.
    /// </summary>
    internal static double EdgeDistance(Mask selection, int cx, int cy, bool include)
    {
        int w = selection.Width, h = selection.Height;
        long best = long.MaxValue;
        if (!include)
        {
            long b = Math.Min(Math.Min(cx + 1, cy + 1), Math.Min(w - cx, h - cy));
            best = b * b;
        }
        for (int step = 0; step < 2 * Math.Max(h, 1); step++)
        {
            int dy = (step + 1) / 2 * (step % 2 == 0 ? 1 : -1);
            long dy2 = (long)dy * dy;
            if (dy2 >= best) break;
            int y = cy + dy;
            if (y < 0 || y >= h) continue;
            var row = selection.Row(y);
            int right = include ? row.Slice(cx).IndexOfAnyExcept((byte)0) : row.Slice(cx).IndexOf((byte)0);
            int left = include ? row.Slice(0, cx).LastIndexOfAnyExcept((byte)0) : row.Slice(0, cx).LastIndexOf((byte)0);
            long dx = long.MaxValue;
            if (right >= 0) dx = right;
            if (left >= 0) dx = Math.Min(dx, cx - left);
            if (dx != long.MaxValue) best = Math.Min(best, dy2 + dx * dx);
        }
        return best == long.MaxValue ? double.PositiveInfinity : Math.Sqrt(best);
    }

    /// <summary>
    /// The band's width in pixels for a click at (cx, cy): <see cref="ProgressiveMergeOptions.EdgeBand"/> times the
    /// click's distance to the edge, at least <see cref="ProgressiveMergeOptions.MinBand"/>; infinity when the selection
    /// has no edge to measure from (then there is no band).
    /// </summary>
    internal static double BandWidth(Mask previous, int cx, int cy, bool include, ProgressiveMergeOptions options)
    {
        double d = EdgeDistance(previous, cx, cy, include);
        return double.IsPositiveInfinity(d) ? d : Math.Max(options.MinBand, options.EdgeBand * d);
    }

    /// <summary>
    /// Clears every changed pixel farther than the band's width from the previous selection's edge on the click's
    /// side: from the nearest selected pixel for an include click, from the nearest unselected pixel (the image border
    /// counting as unselected) for an exclude click. The changed pixels all lie on that side, so this is the band.
    /// </summary>
    private static void ClearOutsideBand(byte[] changed, Mask previous, int cx, int cy, bool include, ProgressiveMergeOptions options)
    {
        int w = previous.Width, h = previous.Height;
        double width = BandWidth(previous, cx, cy, include, options);
        if (double.IsPositiveInfinity(width) || width >= w + h) return;
        // Pooled: an image-sized buffer per click would otherwise be garbage on the large-object heap.
        var d2 = ArrayPool<float>.Shared.Rent(w * h);
        try
        {
            // Exact up to the band's width; beyond it the transform only promises a larger value, which is all we test.
            DistanceTransform.SquaredDistance(previous.Data, w, h, targetIsSet: include, borderIsTarget: !include, d2, (int)Math.Ceiling(width) + 1);
            double limit = width * width;
            for (int i = 0; i < changed.Length; i++)
                if (d2[i] > limit) changed[i] = 0;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(d2);
        }
    }

    private static void ClearOutside(byte[] data, int w, int h, PixelRect r)
    {
        for (int y = 0; y < h; y++)
        {
            var row = data.AsSpan(y * w, w);
            if (y < r.Y || y >= r.Y + r.Height) { row.Clear(); continue; }
            row.Slice(0, r.X).Clear();
            row.Slice(r.X + r.Width).Clear();
        }
    }
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Segmentation;

/// <summary>Thresholds of <see cref="CorrectionGuard"/>. Chosen on GrabCut with MobileSAM (docs/evaluation.md, "Correction guard").</summary>
public sealed record CorrectionGuardOptions
{
    /// <summary>Largest distance of a click to the previous selection's edge, as a fraction of the selection's largest inner depth, that counts as a correction of the edge.</summary>
    public double EdgeDepth { get; init; } = 0.25;

    /// <summary>Least IoU an answer must keep with the previous selection to stand without question.</summary>
    public double KeptIoU { get; init; } = 0.7;

    /// <summary>Area, as a fraction of the previous selection's, below which an answer has collapsed.</summary>
    public double CollapsedArea { get; init; } = 0.3;

    public static CorrectionGuardOptions Default { get; } = new();

    internal void Validate()
    {
        if (!(EdgeDepth >= 0 && EdgeDepth <= 1)) throw new SegArgumentException("guard edge depth", $"must be between 0 and 1, got {EdgeDepth}");
        if (!(KeptIoU >= 0 && KeptIoU <= 1)) throw new SegArgumentException("guard kept IoU", $"must be between 0 and 1, got {KeptIoU}");
        if (!(CollapsedArea >= 0 && CollapsedArea <= 1)) throw new SegArgumentException("guard collapsed area", $"must be between 0 and 1, got {CollapsedArea}");
    }
}

/// <summary>
/// Keeps a correction click from wiping out the selection it corrects. Fed its previous answer, SAM's single-mask
/// output sometimes answers an exclude click with almost nothing left: near the edge of a good selection
/// (GrabCut, MobileSAM, colour fusion: 227092 fell from 0.98 to 0.02 at the second click) or on a second object
/// that the first answer wrongly took in (21077: two racing cars, the click on the rear one left a sliver of the
/// front one); and an include click near the edge sometimes with far too much. The answer is reconsidered when it
/// keeps less than <see cref="KeptIoU"/> IoU of the previous selection and either the click lies near the
/// selection's edge (within <see cref="EdgeDepth"/> of its largest inner depth) or, where the previous selection
/// was refined with colours, the answer lost most of it (under <see cref="CollapsedArea"/> of its area). Then the decoder's proposal that agrees with every
/// click, moves the way the click asks (an exclude click does not grow the selection, an include click does not
/// shrink it) and stays closest to the previous selection wins; when none qualifies, the answer stands. A click
/// deep inside a selection that then shrinks moderately says the selection was wrong, and that answer stands.
/// </summary>
internal static class CorrectionGuard
{
    /// <summary>The default edge band (<see cref="CorrectionGuardOptions.EdgeDepth"/>).</summary>
    public static double EdgeDepth => CorrectionGuardOptions.Default.EdgeDepth;

    /// <summary>The default least kept IoU (<see cref="CorrectionGuardOptions.KeptIoU"/>).</summary>
    public static double KeptIoU => CorrectionGuardOptions.Default.KeptIoU;

    /// <summary>The default collapsed area (<see cref="CorrectionGuardOptions.CollapsedArea"/>).</summary>
    public static double CollapsedArea => CorrectionGuardOptions.Default.CollapsedArea;

    /// <summary>
    /// The proposal to use instead of <paramref name="prediction"/>'s own choice and its mask, or null when the
    /// choice stands.
    /// </summary>
    /// <param name="prediction">The decoder's answer to the clicks, fed the previous selection.</param>
    /// <param name="clicks">Every click so far, the newest last.</param>
    /// <param name="previous">The selection before the newest click.</param>
    /// <param name="guardCollapse">
    /// Also reconsider an answer that lost most of the selection after a click away from its edge. Worth it only
    /// when the previous selection was refined with colours: with the model's own answers, which more often take in
    /// too much, the collapse is as often the right answer (GrabCut: docs/evaluation.md).
    /// </param>
    /// <param name="options">The guard's thresholds; null for the defaults.</param>
    public static (MaskProposal Proposal, Mask Mask)? Reconsider(MaskPrediction prediction, IReadOnlyList<PointPrompt> clicks, Mask previous, bool guardCollapse, CorrectionGuardOptions? options = null)
    {
        options ??= CorrectionGuardOptions.Default;
        if (prediction.Proposals.Count < 2 || prediction.Mask.IoU(previous) >= options.KeptIoU) return null;
        long before = previous.Area();
        bool collapsed = guardCollapse && prediction.Mask.Area() < options.CollapsedArea * before;
        if (!collapsed && !IsEdgeClick(previous, clicks[^1], options.EdgeDepth)) return null;
        bool include = clicks[^1].Positive;
        (MaskProposal Proposal, Mask Mask)? best = null;
        double bestIoU = -1;
        foreach (var q in prediction.Proposals)
        {
            var mask = prediction.MaskOf(q);
            long area = mask.Area();
            if (include ? area < before : area > before) continue;
            if (!AgreesWithAll(mask, clicks)) continue;
            double iou = mask.IoU(previous);
            if (iou > bestIoU) { bestIoU = iou; best = (q, mask); }
        }
        if (best is { } b && b.Proposal == prediction.Chosen) return null;
        return best;
    }

    /// <summary>True when <paramref name="click"/> lies within <see cref="EdgeDepth"/> of the largest inner depth of <paramref name="selection"/> from its edge.</summary>
    public static bool IsEdgeClick(Mask selection, PointPrompt click) => IsEdgeClick(selection, click, EdgeDepth);

    internal static bool IsEdgeClick(Mask selection, PointPrompt click, double edgeDepth)
    {
        int w = selection.Width, h = selection.Height;
        int x = Math.Clamp((int)click.X, 0, w - 1), y = Math.Clamp((int)click.Y, 0, h - 1);
        var d2 = new float[w * h];
        // Depth inside: distance to the nearest unselected pixel, the image border counting as unselected.
        DistanceTransform.SquaredDistance(selection.Data, w, h, targetIsSet: false, borderIsTarget: true, d2);
        float deepest = 0;
        foreach (var v in d2) if (v > deepest && v < DistanceTransform.Infinity) deepest = v;
        if (deepest == 0) return false; // nothing selected: no edge to correct
        float atClick = d2[y * w + x];
        if (selection.Data[y * w + x] == 0)
        {
            DistanceTransform.SquaredDistance(selection.Data, w, h, targetIsSet: true, borderIsTarget: false, d2);
            atClick = d2[y * w + x];
        }
        return Math.Sqrt(atClick) <= edgeDepth * Math.Sqrt(deepest);
    }

    /// <summary>
    /// When the answer contradicts one of the clicks, the proposal that agrees with the most clicks (on a tie, the one
    /// that keeps more of <paramref name="previous"/>); null when the answer agrees with every click or no proposal
    /// agrees with more of them.
    /// </summary>
    public static (MaskProposal Proposal, Mask Mask)? Consistent(MaskPrediction prediction, IReadOnlyList<PointPrompt> clicks, Mask previous)
    {
        int agreeing = CountAgreeing(prediction.Mask, clicks);
        if (agreeing == clicks.Count || prediction.Proposals.Count < 2) return null;
        (MaskProposal Proposal, Mask Mask)? best = null;
        int bestCount = agreeing;
        double bestIoU = -1;
        foreach (var q in prediction.Proposals)
        {
            if (q == prediction.Chosen) continue;
            var mask = prediction.MaskOf(q);
            int n = CountAgreeing(mask, clicks);
            if (n < bestCount) continue;
            double iou = mask.IoU(previous);
            if (n > bestCount || iou > bestIoU) { bestCount = n; bestIoU = iou; best = (q, mask); }
        }
        return bestCount > agreeing ? best : null;
    }

    private static int CountAgreeing(Mask mask, IReadOnlyList<PointPrompt> clicks)
    {
        int n = 0;
        foreach (var c in clicks) if (SubjectGuidance.Agrees(mask, c)) n++;
        return n;
    }

    private static bool AgreesWithAll(Mask mask, IReadOnlyList<PointPrompt> clicks)
    {
        foreach (var c in clicks)
            if (!SubjectGuidance.Agrees(mask, c)) return false;
        return true;
    }
}

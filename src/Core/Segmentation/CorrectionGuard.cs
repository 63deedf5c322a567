using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Segmentation;

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
    /// <summary>The default edge band (<see cref="ClickChainOptions.GuardEdgeDepth"/>).</summary>
    public static double EdgeDepth => ClickChainOptions.Default.GuardEdgeDepth;

    /// <summary>The default least kept IoU (<see cref="ClickChainOptions.GuardKeptIoU"/>).</summary>
    public static double KeptIoU => ClickChainOptions.Default.GuardKeptIoU;

    /// <summary>The default collapsed area (<see cref="ClickChainOptions.GuardCollapsedArea"/>).</summary>
    public static double CollapsedArea => ClickChainOptions.Default.GuardCollapsedArea;

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
    public static (MaskProposal Proposal, Mask Mask)? Reconsider(MaskPrediction prediction, IReadOnlyList<PointPrompt> clicks, Mask previous, bool guardCollapse, ClickChainOptions? options = null)
    {
        options ??= ClickChainOptions.Default;
        if (prediction.Proposals.Count < 2 || prediction.Mask.IoU(previous) >= options.GuardKeptIoU) return null;
        long before = previous.Area();
        bool collapsed = guardCollapse && prediction.Mask.Area() < options.GuardCollapsedArea * before;
        if (!collapsed && !IsEdgeClick(previous, clicks[^1], options.GuardEdgeDepth)) return null;
        bool include = clicks[^1].Positive;
        (MaskProposal Proposal, Mask Mask)? best = null;
        double bestIoU = -1;
        foreach (var q in prediction.Proposals)
        {
            var mask = q == prediction.Chosen ? prediction.Mask : prediction.UpscaleLogits(q).ToMask(0f);
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
            var mask = prediction.UpscaleLogits(q).ToMask(0f);
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

using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Segmentation;

/// <summary>
/// Keeps a correction click at the edge of a selection from wiping the selection out. Fed its previous answer, SAM's
/// single-mask output sometimes answers an exclude click near the edge of a good selection with almost nothing
/// left (GrabCut, MobileSAM, colour fusion: on 13 of 50 images the second click loses over 5 points of IoU,
/// 227092 falls from 0.98 to 0.02), and an include click there with far too much. Where the click lies near the
/// previous selection's edge (within <see cref="EdgeDepth"/> of the selection's largest inner depth) and the answer
/// keeps less than <see cref="KeptIoU"/> IoU of it, the decoder's proposal that agrees with every click and stays
/// closest to the previous selection wins instead (when none agrees with every click, the answer stands). A click deep inside the selection says the selection is wrong,
/// and the answer stands.
/// </summary>
internal static class EdgeCorrection
{
    /// <summary>Largest distance of a click to the previous selection's edge, as a fraction of the selection's largest inner depth, that counts as a correction of the edge.</summary>
    public const double EdgeDepth = 0.25;

    /// <summary>Least IoU an answer to an edge click must keep with the previous selection to stand as it is.</summary>
    public const double KeptIoU = 0.7;

    /// <summary>
    /// The proposal to use instead of <paramref name="prediction"/>'s own choice and its mask, or null when the
    /// choice stands.
    /// </summary>
    public static (MaskProposal Proposal, Mask Mask)? Reconsider(MaskPrediction prediction, IReadOnlyList<PointPrompt> clicks, Mask previous)
    {
        if (prediction.Proposals.Count < 2 || prediction.Mask.IoU(previous) >= KeptIoU) return null;
        if (!IsEdgeClick(previous, clicks[^1])) return null;
        (MaskProposal Proposal, Mask Mask)? best = null;
        double bestIoU = -1;
        foreach (var q in prediction.Proposals)
        {
            var mask = q == prediction.Chosen ? prediction.Mask : prediction.UpscaleLogits(q).ToMask(0f);
            if (!AgreesWithAll(mask, clicks)) continue;
            double iou = mask.IoU(previous);
            if (iou > bestIoU) { bestIoU = iou; best = (q, mask); }
        }
        if (best is { } b && b.Proposal == prediction.Chosen) return null;
        return best;
    }

    /// <summary>True when <paramref name="click"/> lies within <see cref="EdgeDepth"/> of the largest inner depth of <paramref name="selection"/> from its edge.</summary>
    public static bool IsEdgeClick(Mask selection, PointPrompt click)
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
        return Math.Sqrt(atClick) <= EdgeDepth * Math.Sqrt(deepest);
    }

    private static bool AgreesWithAll(Mask mask, IReadOnlyList<PointPrompt> clicks)
    {
        foreach (var c in clicks)
            if (!SubjectGuidance.Agrees(mask, c)) return false;
        return true;
    }
}

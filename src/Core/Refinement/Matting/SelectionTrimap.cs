using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// A trimap from a selection: foreground inside the selection and background outside, beyond a band around its edge
/// that is unknown; the band widens (up to a limit) where the model is unsure, where the model and the colour
/// refinement disagree, or where the image is busy like hair (each rule in <see cref="SelectionTrimapOptions"/>).
/// Thin parts of the selection, narrower than the band, fall wholly inside it. Given the salient-object map of a box,
/// colours decide near the edge inside the selection (<see cref="SelectionTrimapOptions.ColorEvidence"/>): background
/// colours become known background where the map is not sure of the object, uncertain ones unknown, so what the photo
/// shows through a filled selection is matted out.
/// </summary>
public static class SelectionTrimap
{
    /// <param name="image">The photo.</param>
    /// <param name="modelLogits">The model's full-resolution logits (object where &gt; 0).</param>
    /// <param name="selection">The selection the user sees (the colour-refined mask).</param>
    /// <param name="options">Band widths and rules.</param>
    /// <param name="subjectSaliency">
    /// The salient-object map of the box's crop at the image size (0..1; <see cref="Segmentation.Subject.SubjectSelector.SaliencyInBox"/>),
    /// or null. With it the colour rule reaches <see cref="SelectionTrimapOptions.GuardedColorZone"/> inside the edge but
    /// makes no known background where the map is sure of the object (<see cref="SelectionTrimapOptions.SubjectGuard"/>).
    /// </param>
    public static Trimap Build(BgraImage image, LogitMap modelLogits, Mask selection, SelectionTrimapOptions? options = null, LogitMap? subjectSaliency = null)
    {
        var o = options ?? SelectionTrimapOptions.Default;
        o.Validate();
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        if (modelLogits is null) throw new SegArgumentException(nameof(modelLogits), "is null");
        if (selection is null) throw new SegArgumentException(nameof(selection), "is null");
        MaskChecks.SameSize(image.Width, image.Height, modelLogits.Width, modelLogits.Height, "image", "logits");
        MaskChecks.SameSize(image.Width, image.Height, selection.Width, selection.Height, "image", "selection");
        if (subjectSaliency is not null) MaskChecks.SameSize(image.Width, image.Height, subjectSaliency.Width, subjectSaliency.Height, "image", "subject saliency");
        int n = selection.Data.Length;
        int r = o.EdgeRadius(image.Width, image.Height), rMax = o.MaxRadius(image.Width, image.Height);
        var sure = selection.Shrink(r);
        var reach = selection.Grow(r);
        bool widen = o.UnsureLogit > 0 || o.Disagreement || o.HairTexture > 0;
        var sureFar = widen && rMax > r ? selection.Shrink(rMax) : sure;
        var reachFar = widen && rMax > r ? selection.Grow(rMax) : reach;
        var texture = o.HairTexture > 0 ? Internal.TrimapKernels.FineTexture(image, o.TextureWindow) : null;
        var t = new byte[n];
        var logits = modelLogits.Data;
        for (int i = 0; i < n; i++)
        {
            byte v = sure.Data[i] != 0 ? Trimap.Foreground : reach.Data[i] == 0 ? Trimap.Background : Trimap.Unknown;
            if (widen && v != Trimap.Unknown && reachFar.Data[i] != 0 && sureFar.Data[i] == 0)
            {
                bool model = logits[i] > 0, sel = selection.Data[i] != 0;
                if ((o.Disagreement && model != sel) || Math.Abs(logits[i]) < o.UnsureLogit || (texture is not null && texture[i] >= o.HairTexture))
                    v = Trimap.Unknown;
            }
            t[i] = v;
        }
        int zone = o.ColorZoneRadius(image.Width, image.Height, guarded: subjectSaliency is not null);
        if (o.ColorEvidence > 0 && zone > 0)
            Internal.TrimapColorEvidence.Apply(image, selection, sure, reach, o.ColorRingRadius(image.Width, image.Height), zone, o.ColorComponents, o.ColorEvidence,
                o.ColorMinSeparation, o.SubjectGuard < 1f ? subjectSaliency?.Data : null, o.SubjectGuard, t);
        return new Trimap(image.Width, image.Height, t);
    }
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// The region a box selection is matted from: the selection limited to the salient object of the box (the
/// salient-object map of the box's crop, <see cref="Segmentation.Subject.SubjectSelector.SaliencyInBox"/>), when the
/// two agree on which object it is. Inside a tight box a model's selection often takes in other things (a keyboard
/// behind a small tree, a roof behind a head) that no band around its edge can take out again; the crop's saliency
/// does not see them as the object.
/// </summary>
public static class BoxRegionPrior
{
    /// <summary>
    /// The region to matte for a selection made from <paramref name="box"/>: runs <paramref name="subject"/> on the box's
    /// crop (with <see cref="BoxRegionPriorOptions.Margin"/>) and applies <see cref="Apply"/>.
    /// </summary>
    public static Mask Region(BgraImage image, Mask selection, BoxXyxy box, SubjectSelector subject, BoxRegionPriorOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var o = options ?? BoxRegionPriorOptions.Default;
        o.Validate();
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        if (subject is null) throw new SegArgumentException(nameof(subject), "is null");
        return Apply(selection, subject.SaliencyInBox(image, box, o.Margin, cancellationToken), o);
    }

    /// <summary>
    /// <paramref name="selection"/> without the pixels whose saliency is at or below
    /// <see cref="BoxRegionPriorOptions.KeepThreshold"/>, or <paramref name="selection"/> itself (the same instance) when
    /// the salient object and the selection disagree (IoU below <see cref="BoxRegionPriorOptions.MinAgreement"/>).
    /// </summary>
    /// <param name="selection">The box's selection (the colour-refined mask).</param>
    /// <param name="boxSaliency">The box crop's saliency at the image size (0..1).</param>
    /// <param name="options">Thresholds (null: defaults).</param>
    public static Mask Apply(Mask selection, LogitMap boxSaliency, BoxRegionPriorOptions? options = null)
    {
        var o = options ?? BoxRegionPriorOptions.Default;
        o.Validate();
        if (selection is null) throw new SegArgumentException(nameof(selection), "is null");
        if (boxSaliency is null) throw new SegArgumentException(nameof(boxSaliency), "is null");
        MaskChecks.SameSize(selection.Width, selection.Height, boxSaliency.Width, boxSaliency.Height, "selection", "saliency");
        if (Agreement(selection.Data, boxSaliency.Data) < o.MinAgreement) return selection;
        var limited = new Mask(selection.Width, selection.Height);
        Limit(selection.Data, boxSaliency.Data, o.KeepThreshold, limited.Data);
        return limited;
    }

    /// <summary>IoU of the selection and the salient object (saliency above 0.5, the model's own cut); 0 when both are empty.</summary>
    internal static double Agreement(ReadOnlySpan<byte> selection, ReadOnlySpan<float> saliency)
    {
        long both = 0, either = 0;
        for (int i = 0; i < selection.Length; i++)
        {
            bool a = selection[i] != 0, b = saliency[i] > 0.5f;
            if (a && b) both++;
            if (a || b) either++;
        }
        return either == 0 ? 0 : (double)both / either;
    }

    private static void Limit(ReadOnlySpan<byte> selection, ReadOnlySpan<float> saliency, float keep, Span<byte> dst)
    {
        for (int i = 0; i < selection.Length; i++)
            dst[i] = selection[i] != 0 && saliency[i] > keep ? Mask.On : Mask.Off;
    }
}

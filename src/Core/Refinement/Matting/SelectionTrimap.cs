using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>A trimap from a selection: known where the model and the colour refinement agree and are sure, unknown at edges and doubts.</summary>
public static class SelectionTrimap
{
    /// <param name="image">The photo.</param>
    /// <param name="modelLogits">The model's full-resolution logits (object where &gt; 0).</param>
    /// <param name="selection">The selection the user sees (the colour-refined mask).</param>
    /// <param name="options">Band widths and thresholds.</param>
    public static Trimap Build(BgraImage image, LogitMap modelLogits, Mask selection, SelectionTrimapOptions? options = null)
    {
        var o = options ?? SelectionTrimapOptions.Default;
        o.Validate();
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        if (modelLogits is null) throw new SegArgumentException(nameof(modelLogits), "is null");
        if (selection is null) throw new SegArgumentException(nameof(selection), "is null");
        MaskChecks.SameSize(image.Width, image.Height, modelLogits.Width, modelLogits.Height, "image", "logits");
        MaskChecks.SameSize(image.Width, image.Height, selection.Width, selection.Height, "image", "selection");
        int n = selection.Data.Length;
        var sure = o.EdgeRadius > 0 ? selection.Shrink(o.EdgeRadius) : selection;
        var reach = o.EdgeRadius > 0 ? selection.Grow(o.EdgeRadius) : selection;
        var t = new byte[n];
        var logits = modelLogits.Data;
        for (int i = 0; i < n; i++)
        {
            bool model = logits[i] > 0, sel = selection.Data[i] != 0;
            byte v = sure.Data[i] != 0 ? Trimap.Foreground : reach.Data[i] == 0 ? Trimap.Background : Trimap.Unknown;
            if (model != sel || Math.Abs(logits[i]) < o.UnsureLogit) v = Trimap.Unknown;
            t[i] = v;
        }
        return new Trimap(image.Width, image.Height, t);
    }
}

using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Refinement;

public static partial class ColorRefiner
{
    /// <summary>
    /// Keeps the selected components (8-connected) that overlap the model's mask or hold a positive click, so that
    /// look-alikes elsewhere stay out; and fills the unselected components (4-connected) that touch neither the
    /// model's background, the image border nor a negative click, so that colours shared with the background (a
    /// spoon reflecting the table) do not punch holes into the object.
    /// </summary>
    internal static Mask KeepAnchored(Mask result, Mask modelMask, IReadOnlyList<PointPrompt> clicks)
    {
        int w = result.Width, h = result.Height;
        var selected = Components.Label(result.Data, w, h, set: true, eightConnected: true);
        var keep = selected.Overlapping(modelMask.Data);
        foreach (var p in clicks)
        {
            if (!p.Positive) continue;
            int label = selected.LabelAt(Math.Min(w - 1, (int)p.X), Math.Min(h - 1, (int)p.Y));
            if (label >= 0) keep[label] = true;
        }
        var kept = new Mask(w, h);
        selected.Paint(kept.Data, keep, Mask.On);

        var unselected = Components.Label(kept.Data, w, h, set: false, eightConnected: false);
        var open = unselected.Overlapping(modelMask.Invert().Data);
        for (int i = 0; i < open.Length; i++) open[i] |= unselected.TouchesBorder[i];
        foreach (var p in clicks)
        {
            if (p.Positive) continue;
            int label = unselected.LabelAt(Math.Min(w - 1, (int)p.X), Math.Min(h - 1, (int)p.Y));
            if (label >= 0) open[label] = true;
        }
        for (int i = 0; i < open.Length; i++) open[i] = !open[i];
        unselected.Paint(kept.Data, open, Mask.On);
        return kept;
    }
}

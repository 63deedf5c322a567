using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Segmentation.Internal;

/// <summary>Box overlap and greedy non-maximum suppression, shared by every model family that proposes many boxes.</summary>
internal static class BoxNms
{
    /// <summary>Intersection over union of two xyxy boxes; 0 when the union is empty.</summary>
    public static float Iou(BoxXyxy a, BoxXyxy b)
    {
        float iw = Math.Max(0f, Math.Min(a.X1, b.X1) - Math.Max(a.X0, b.X0));
        float ih = Math.Max(0f, Math.Min(a.Y1, b.Y1) - Math.Max(a.Y0, b.Y0));
        float inter = iw * ih;
        float union = a.Width * a.Height + b.Width * b.Height - inter;
        return union > 0 ? inter / union : 0f;
    }

    /// <summary>IoU of two pixel rectangles as xyxy boxes [X, Right] x [Y, Bottom].</summary>
    public static float Iou(PixelRect a, PixelRect b) => Iou(Xyxy(a), Xyxy(b));

    public static BoxXyxy Xyxy(PixelRect r) => new(r.X, r.Y, r.Right, r.Bottom);

    /// <summary>
    /// Greedy NMS over <paramref name="sorted"/> in the given order (best first): an item is dropped when its box
    /// overlaps a kept one with IoU above <paramref name="threshold"/>; stops after <paramref name="maxKeep"/>.
    /// </summary>
    public static List<T> Greedy<T>(IReadOnlyList<T> sorted, Func<T, BoxXyxy> box, float threshold, int maxKeep = int.MaxValue)
    {
        var kept = new List<T>();
        var keptBoxes = new List<BoxXyxy>();
        foreach (var item in sorted)
        {
            if (kept.Count >= maxKeep) break;
            var b = box(item);
            bool keep = true;
            foreach (var k in keptBoxes)
                if (Iou(b, k) > threshold) { keep = false; break; }
            if (!keep) continue;
            kept.Add(item);
            keptBoxes.Add(b);
        }
        return kept;
    }
}

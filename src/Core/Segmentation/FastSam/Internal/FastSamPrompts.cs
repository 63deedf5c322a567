using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation.FastSam.Internal;

/// <summary>FastSAM's prompt rules over a set of decoded masks.</summary>
internal static class FastSamPrompts
{
    public static (Mask Mask, float Score) Select(FastSamResult result, PromptSet prompts)
    {
        int w = result.Width, h = result.Height;
        var dets = result.Detections;
        Mask current = new(w, h);
        float score = 0f;
        if (prompts.Box is { } box)
        {
            int best = BestBoxMatch(dets, box, w, h);
            if (best >= 0)
            {
                current = dets[best].Mask.Clone();
                score = dets[best].Confidence;
            }
        }
        if (prompts.Points.Count > 0)
        {
            var s = WalkPoints(dets, prompts.Points, current, w, h);
            score = prompts.Box is null ? s : Math.Max(score, s);
        }
        return (current, score);
    }

    /// <summary>
    /// Index of the mask with the highest IoU against the box region (mask pixels inside the box over box area
    /// plus mask area minus those pixels); -1 without masks. The box corners are rounded to pixel edges.
    /// </summary>
    public static int BestBoxMatch(IReadOnlyList<FastSamDetection> dets, BoxXyxy box, int w, int h)
    {
        int x0 = Math.Clamp((int)Math.Round(box.X0), 0, w), x1 = Math.Clamp((int)Math.Round(box.X1), 0, w);
        int y0 = Math.Clamp((int)Math.Round(box.Y0), 0, h), y1 = Math.Clamp((int)Math.Round(box.Y1), 0, h);
        long boxArea = (long)(x1 - x0) * (y1 - y0);
        int best = -1;
        double bestIou = double.NegativeInfinity;
        for (int i = 0; i < dets.Count; i++)
        {
            var m = dets[i].Mask;
            long inside = 0;
            for (int y = y0; y < y1; y++)
            {
                var row = m.Row(y).Slice(x0, x1 - x0);
                inside += row.Length - row.Count((byte)0);
            }
            long union = boxArea + dets[i].Area - inside;
            double iou = union > 0 ? (double)inside / union : 0;
            if (iou > bestIou) { bestIou = iou; best = i; }
        }
        return best;
    }

    /// <summary>
    /// Masks from largest to smallest (stable for equal areas); for each, every point on it adds the mask
    /// (positive) or clears its pixels (negative), in point order. Edits <paramref name="target"/> in place and
    /// returns the best confidence among masks that were added.
    /// </summary>
    public static float WalkPoints(IReadOnlyList<FastSamDetection> dets, IReadOnlyList<PointPrompt> points, Mask target, int w, int h)
    {
        var order = new int[dets.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var areas = new long[dets.Count];
        for (int i = 0; i < areas.Length; i++) areas[i] = dets[i].Area;
        Array.Sort(order, (a, b) => areas[a] != areas[b] ? areas[b].CompareTo(areas[a]) : a.CompareTo(b));
        float score = 0f;
        var d = target.Data;
        foreach (int i in order)
        {
            var m = dets[i].Mask;
            foreach (var p in points)
            {
                int px = Math.Min((int)p.X, w - 1), py = Math.Min((int)p.Y, h - 1);
                if (!m[px, py]) continue;
                var md = m.Data;
                if (p.Positive)
                {
                    for (int k = 0; k < d.Length; k++) d[k] |= md[k];
                    score = Math.Max(score, dets[i].Confidence);
                }
                else
                {
                    for (int k = 0; k < d.Length; k++) d[k] = (byte)(d[k] & ~md[k]);
                }
            }
        }
        return score;
    }
}

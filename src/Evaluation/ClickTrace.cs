using System.Globalization;
using System.Text;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Evaluation;

/// <summary>
/// One click of a click-mode evaluation measured against the selection before it (<c>segplug eval --trace</c>): where
/// the click lies relative to that selection, how the strategy made its answer, and where the answer lost correct pixels.
/// </summary>
/// <param name="Image">The sample's name.</param>
/// <param name="Strategy">The strategy's name.</param>
/// <param name="Click">The click's number, 1-based.</param>
/// <param name="Include">True for an include click.</param>
/// <param name="IoUBefore">IoU of the selection before the click (0 at the first click).</param>
/// <param name="IoU">IoU after the click.</param>
/// <param name="InsidePrevious">The clicked pixel was selected before the click.</param>
/// <param name="EdgeDistance">
/// Pixels from the click to the previous selection's edge: to the nearest selected pixel for a click outside it, to
/// the nearest unselected pixel (the image border counting as unselected) for a click inside it; NaN with nothing selected.
/// </param>
/// <param name="RelativeDepth"><paramref name="EdgeDistance"/> over the previous selection's largest inner depth (NaN with nothing selected).</param>
/// <param name="PreviousArea">Pixels selected before the click.</param>
/// <param name="Area">Pixels selected after it.</param>
/// <param name="Notes">How the strategy made the answer (<see cref="IClickEpisode.Notes"/>).</param>
/// <param name="Lost">Pixels labelled right before the click and wrong after it (the ignore band left out).</param>
/// <param name="LostAtClick">Of those, the ones in the 8-connected region of changed pixels that holds the click.</param>
/// <param name="LostNear">Of the rest, the ones within <see cref="ClickTrace.NearRadius"/> of the click.</param>
/// <param name="LostFar">The remaining lost pixels.</param>
/// <param name="Gained">Pixels labelled wrong before the click and right after it.</param>
public sealed record ClickTraceRow(string Image, string Strategy, int Click, bool Include, double IoUBefore, double IoU,
    bool InsidePrevious, double EdgeDistance, double RelativeDepth, long PreviousArea, long Area, string Notes,
    long Lost, long LostAtClick, long LostNear, long LostFar, long Gained);

/// <summary>Measures <see cref="ClickTraceRow"/>s and writes them as CSV.</summary>
public static class ClickTrace
{
    /// <summary>
    /// Radius of "near the click" for <see cref="ClickTraceRow.LostNear"/>: twice the click's distance to the edge,
    /// at least 32 pixels (the width of the default merge band, or a visible neighbourhood for a click at the edge).
    /// </summary>
    public static double NearRadius(double edgeDistance) => double.IsFinite(edgeDistance) ? Math.Max(32, 2 * edgeDistance) : 32;

    /// <summary>The row of one click: <paramref name="previous"/> (null at the first click) against <paramref name="answer"/>.</summary>
    public static ClickTraceRow Measure(string image, string strategy, int clickNumber, GroundTruth truth, Mask? previous, Mask answer, SimulatedClick click, string notes)
    {
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(answer);
        int w = truth.Width, h = truth.Height;
        MaskChecks.SameSize(w, h, answer.Width, answer.Height, "ground truth", "answer");
        previous ??= new Mask(w, h);
        MaskChecks.SameSize(w, h, previous.Width, previous.Height, "ground truth", "previous selection");
        var prev = previous.Data;
        var next = answer.Data;
        var labels = truth.Labels;
        int cx = Math.Clamp(click.X, 0, w - 1), cy = Math.Clamp(click.Y, 0, h - 1);
        bool inside = prev[cy * w + cx] != 0;
        long prevArea = previous.Area();

        double edge = double.NaN, relative = double.NaN;
        if (prevArea > 0)
        {
            edge = Core.Editing.ProgressiveMerge.EdgeDistance(previous, cx, cy, include: !inside);
            var d2 = new float[w * h];
            DistanceTransform.SquaredDistance(prev, w, h, targetIsSet: false, borderIsTarget: true, d2);
            float deepest = 0;
            foreach (var v in d2) if (v > deepest && v < DistanceTransform.Infinity) deepest = v;
            relative = deepest > 0 ? edge / Math.Sqrt(deepest) : double.NaN;
        }

        // The changed region holding the click.
        var changed = new byte[w * h];
        for (int i = 0; i < changed.Length; i++) changed[i] = (prev[i] != 0) != (next[i] != 0) ? Mask.On : Mask.Off;
        var atClick = new byte[w * h];
        if (changed[cy * w + cx] != 0)
        {
            var regions = Components.Label(changed, w, h, set: true, eightConnected: true);
            var keep = new bool[regions.Count];
            keep[regions.LabelAt(cx, cy)] = true;
            regions.Paint(atClick, keep, Mask.On);
        }

        double near = NearRadius(edge), near2 = near * near;
        long lost = 0, lostAt = 0, lostNear = 0, gained = 0;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                byte label = labels[i];
                if (label == GroundTruth.Ignore || changed[i] == 0) continue;
                bool want = label == GroundTruth.Object;
                bool wasRight = (prev[i] != 0) == want;
                if (!wasRight) { gained++; continue; }
                lost++;
                if (atClick[i] != 0) lostAt++;
                else if ((double)(x - cx) * (x - cx) + (double)(y - cy) * (y - cy) <= near2) lostNear++;
            }
        }
        return new ClickTraceRow(image, strategy, clickNumber, click.Positive, SegmentationMetrics.IoU(truth, previous), SegmentationMetrics.IoU(truth, answer),
            inside, edge, relative, prevArea, answer.Area(), notes, lost, lostAt, lostNear, lost - lostAt - lostNear, gained);
    }

    public const string Header = "image,strategy,click,include,iou_before,iou,inside_previous,edge_distance,relative_depth,previous_area,area,notes,lost,lost_at_click,lost_near,lost_far,gained";

    /// <summary>The rows as CSV with <see cref="Header"/> (invariant culture; names with a comma or quote are quoted).</summary>
    public static string ToCsv(IEnumerable<ClickTraceRow> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            sb.Append(Quote(r.Image)).Append(',').Append(Quote(r.Strategy)).Append(',').Append(r.Click.ToString(inv)).Append(',')
              .Append(r.Include ? "1" : "0").Append(',').Append(Round(r.IoUBefore, 4)).Append(',').Append(Round(r.IoU, 4)).Append(',')
              .Append(r.InsidePrevious ? "1" : "0").Append(',').Append(Round(r.EdgeDistance, 1)).Append(',').Append(Round(r.RelativeDepth, 3)).Append(',')
              .Append(r.PreviousArea.ToString(inv)).Append(',').Append(r.Area.ToString(inv)).Append(',').Append(Quote(r.Notes)).Append(',')
              .Append(r.Lost.ToString(inv)).Append(',').Append(r.LostAtClick.ToString(inv)).Append(',').Append(r.LostNear.ToString(inv)).Append(',')
              .Append(r.LostFar.ToString(inv)).Append(',').Append(r.Gained.ToString(inv)).Append('\n');
        }
        return sb.ToString();

        string Round(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits).ToString(inv) : "";
    }

    private static string Quote(string s) => s.AsSpan().IndexOfAny(",\"\n") >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}

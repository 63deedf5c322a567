using System.Globalization;
using System.Text;
using System.Text.Json;
using SegPlugins.Core;
using SegPlugins.Core.IO;

namespace SegPlugins.Evaluation;

/// <summary>
/// The scores of one click strategy over a dataset. NoC85/NoC90: mean number of clicks to reach IoU 0.85/0.90
/// (failures count as the click budget); NoF85/NoF90: images that never reached it; MiouAtClicks: mean IoU after
/// click 1..MaxClicks; MaxClickDrop: the largest fall of that mean from one click to the next (0 when it never
/// falls); CollapseRate: the share of images that lose more than <see cref="EvaluationReport.CollapseLoss"/> IoU at
/// some click; ClickMsMedian/ClickMsP90: the 50th/90th percentile of the time of one click over every click of every image.
/// </summary>
public sealed record StrategySummary(string Strategy, double Click1Miou, double Noc85, double Noc90, int Nof85, int Nof90, double[] MiouAtClicks, double ClickMsMedian,
    double MaxClickDrop = 0, double CollapseRate = 0, double ClickMsP90 = double.NaN);

/// <summary>
/// Summary of an <see cref="EvaluationResult"/> and its renderings: JSON report, per-image CSV, SVG plot of mIoU
/// against clicks, and a console table.
/// </summary>
public sealed class EvaluationReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>An image whose IoU falls by more than this from one click to the next counts as collapsed (the issue's goal: under 3 % of images).</summary>
    public const double CollapseLoss = 0.05;

    private EvaluationReport(EvaluationResult result, IReadOnlyList<StrategySummary> strategies)
    {
        Result = result;
        Strategies = strategies;
        Images = result.Images.Count;
        BoxMiou = Mean(result.Images.Select(i => i.BoxIoU));
        TightBoxMiou = Mean(result.Images.Select(i => i.TightBoxIoU));
        EncoderMsMedian = Median(result.Images.Select(i => i.EncoderMs).ToArray());
    }

    public EvaluationResult Result { get; }
    public int Images { get; }
    public double? BoxMiou { get; }
    public double? TightBoxMiou { get; }
    public double EncoderMsMedian { get; }

    /// <summary>One summary per strategy, in the order they ran.</summary>
    public IReadOnlyList<StrategySummary> Strategies { get; }

    /// <summary>
    /// The strategy of the report's top-level keys: the default (<see cref="ClickStrategies.Default"/>) when it ran, else the first.
    /// Null in box-only runs.
    /// </summary>
    public StrategySummary? Primary =>
        Strategies.FirstOrDefault(s => s.Strategy == ClickStrategies.Names[(int)ClickStrategies.Default]) ?? Strategies.FirstOrDefault();

    public static EvaluationReport FromResult(EvaluationResult result)
    {
        var list = new List<StrategySummary>();
        for (int s = 0; s < result.StrategyNames.Count; s++)
        {
            var per = result.Images.Select(i => i.Strategies[s]).ToArray();
            int n = per.Length;
            var curve = new double[result.MaxClicks];
            for (int k = 0; k < curve.Length; k++)
                curve[k] = n == 0 ? 0 : per.Average(p => p.IoUs[k]);
            list.Add(new StrategySummary(
                result.StrategyNames[s],
                curve.Length > 0 ? curve[0] : 0,
                n == 0 ? 0 : per.Average(p => p.Noc85),
                n == 0 ? 0 : per.Average(p => p.Noc90),
                per.Count(p => SegmentationMetrics.Failed(p.IoUs, EvaluationRunner.Threshold85, result.MaxClicks)),
                per.Count(p => SegmentationMetrics.Failed(p.IoUs, EvaluationRunner.Threshold90, result.MaxClicks)),
                curve,
                Median(per.SelectMany(p => p.ClickMs).ToArray()),
                MaxDrop(curve),
                n == 0 ? 0 : per.Count(p => MaxDrop(p.IoUs) > CollapseLoss) / (double)n,
                Percentile(per.SelectMany(p => p.ClickMs).ToArray(), 0.9)));
        }
        return new EvaluationReport(result, list);
    }

    /// <summary>
    /// The JSON report: <c>images, box_miou, tight_box_miou, click1_miou, noc85, noc90, nof85, nof90,
    /// miou_at_clicks, max_click_drop, collapse_rate, encoder_ms_median, click_ms_median, click_ms_p90, strategy</c> for the primary strategy, and, when more
    /// than one strategy ran, <c>strategies</c>: the same keys for each. Scores not measured are null.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            WriteKeys(w, Primary);
            if (Strategies.Count > 1)
            {
                w.WriteStartArray("strategies");
                foreach (var s in Strategies)
                {
                    w.WriteStartObject();
                    WriteKeys(w, s);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private void WriteKeys(Utf8JsonWriter w, StrategySummary? s)
    {
        w.WriteNumber("images", Images);
        Number(w, "box_miou", BoxMiou, 4);
        Number(w, "tight_box_miou", TightBoxMiou, 4);
        Number(w, "click1_miou", s?.Click1Miou, 4);
        Number(w, "noc85", s?.Noc85, 3);
        Number(w, "noc90", s?.Noc90, 3);
        Number(w, "nof85", s?.Nof85, 0);
        Number(w, "nof90", s?.Nof90, 0);
        if (s is null) w.WriteNull("miou_at_clicks");
        else
        {
            w.WriteStartArray("miou_at_clicks");
            foreach (var v in s.MiouAtClicks) w.WriteNumberValue(Math.Round(v, 4));
            w.WriteEndArray();
        }
        Number(w, "max_click_drop", s?.MaxClickDrop, 4);
        Number(w, "collapse_rate", s?.CollapseRate, 4);
        Number(w, "encoder_ms_median", EncoderMsMedian, 1);
        Number(w, "click_ms_median", s?.ClickMsMedian, 1);
        Number(w, "click_ms_p90", s?.ClickMsP90, 1);
        if (s is null) w.WriteNull("strategy"); else w.WriteString("strategy", s.Strategy);
    }

    private static void Number(Utf8JsonWriter w, string key, double? value, int digits)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(key, Math.Round(v, digits));
        else w.WriteNull(key);
    }

    /// <summary>One row per image and strategy (one per image in box-only runs): the IoU after each click (<c>iou_K</c>) and
    /// the time of each click in ms (<c>ms_K</c>).</summary>
    public string ToPerImageCsv()
    {
        var sb = new StringBuilder();
        int max = Result.MaxClicks;
        sb.Append("name,width,height,box_iou,tight_box_iou,encoder_ms,strategy,noc85,noc90,click_ms_median");
        for (int k = 1; k <= max; k++) sb.Append(",iou_").Append(k);
        for (int k = 1; k <= max; k++) sb.Append(",ms_").Append(k);
        sb.Append('\n');
        foreach (var img in Result.Images)
        {
            var prefix = string.Create(Inv, $"{img.Name},{img.Width},{img.Height},{F(img.BoxIoU, 4)},{F(img.TightBoxIoU, 4)},{F(img.EncoderMs, 1)}");
            if (img.Strategies.Count == 0)
            {
                sb.Append(prefix).Append(",,,,");
                for (int k = 0; k < 2 * max; k++) sb.Append(',');
                sb.Append('\n');
                continue;
            }
            foreach (var s in img.Strategies)
            {
                sb.Append(prefix).Append(',').Append(s.Strategy).Append(',').Append(s.Noc85.ToString(Inv)).Append(',').Append(s.Noc90.ToString(Inv))
                  .Append(',').Append(F(Median(s.ClickMs), 1));
                foreach (var v in s.IoUs) sb.Append(',').Append(F(v, 4));
                // The time of each click made; a click the simulator did not need (nothing left to correct) is blank.
                for (int k = 0; k < max; k++) sb.Append(',').Append(k < s.ClickMs.Length ? F(s.ClickMs[k], 1) : "");
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>A line chart of mean IoU after each click, one line per strategy, with the 0.85 and 0.90 levels marked.</summary>
    public string ToSvgPlot(string? title = null)
    {
        const int width = 720, height = 460, left = 70, right = 200, top = 46, bottom = 62;
        int plotW = width - left - right, plotH = height - top - bottom;
        int max = Result.MaxClicks;
        double lo = 1.0;
        foreach (var s in Strategies) foreach (var v in s.MiouAtClicks) lo = Math.Min(lo, v);
        // Start the axis at a round 0.05 step below the lowest point, never above 0.8 so the 0.85/0.90 marks show.
        double yMin = Math.Min(0.8, Math.Floor(lo * 20) / 20);
        double yMax = 1.0;
        double X(double click) => left + (max == 1 ? plotW / 2.0 : (click - 1) * plotW / (max - 1));
        double Y(double iou) => top + (yMax - iou) * plotH / (yMax - yMin);
        string N(double v) => v.ToString("0.##", Inv);

        var sb = new StringBuilder();
        sb.Append(string.Create(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"13\">\n"));
        sb.Append(string.Create(Inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        var heading = title ?? $"mIoU vs clicks — {Result.ModelName}, {Images} images";
        sb.Append(string.Create(Inv, $"<text x=\"{left + plotW / 2}\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Escape(heading)}</text>\n"));

        double yStep = (yMax - yMin) > 0.4 ? 0.1 : 0.05;
        for (double t = yMax; t >= yMin - 1e-9; t -= yStep)
        {
            double y = Y(t);
            sb.Append(string.Create(Inv, $"<line x1=\"{left}\" y1=\"{N(y)}\" x2=\"{left + plotW}\" y2=\"{N(y)}\" stroke=\"#e4e4e4\"/>\n"));
            sb.Append(string.Create(Inv, $"<line x1=\"{left - 5}\" y1=\"{N(y)}\" x2=\"{left}\" y2=\"{N(y)}\" stroke=\"black\"/>\n"));
            sb.Append(string.Create(Inv, $"<text x=\"{left - 8}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{t.ToString("0.00", Inv)}</text>\n"));
        }
        int xStep = max <= 20 ? 1 : (int)Math.Ceiling(max / 20.0);
        for (int c = 1; c <= max; c += xStep)
        {
            double x = X(c);
            sb.Append(string.Create(Inv, $"<line x1=\"{N(x)}\" y1=\"{top + plotH}\" x2=\"{N(x)}\" y2=\"{top + plotH + 5}\" stroke=\"black\"/>\n"));
            sb.Append(string.Create(Inv, $"<text x=\"{N(x)}\" y=\"{top + plotH + 20}\" text-anchor=\"middle\">{c}</text>\n"));
        }
        foreach (var level in new[] { EvaluationRunner.Threshold85, EvaluationRunner.Threshold90 })
        {
            if (level < yMin) continue;
            double y = Y(level);
            sb.Append(string.Create(Inv, $"<line x1=\"{left}\" y1=\"{N(y)}\" x2=\"{left + plotW}\" y2=\"{N(y)}\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\n"));
            sb.Append(string.Create(Inv, $"<text x=\"{left + plotW - 4}\" y=\"{N(y - 5)}\" text-anchor=\"end\" fill=\"#666\" font-size=\"11\">IoU {level.ToString("0.00", Inv)}</text>\n"));
        }
        sb.Append(string.Create(Inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"black\"/>\n"));
        sb.Append(string.Create(Inv, $"<text x=\"{left + plotW / 2}\" y=\"{height - 18}\" text-anchor=\"middle\">number of clicks</text>\n"));
        sb.Append(string.Create(Inv, $"<text transform=\"translate(20 {top + plotH / 2}) rotate(-90)\" text-anchor=\"middle\">mean IoU</text>\n"));

        string[] colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
        for (int i = 0; i < Strategies.Count; i++)
        {
            var s = Strategies[i];
            var colour = colours[i % colours.Length];
            var points = new StringBuilder();
            for (int k = 0; k < s.MiouAtClicks.Length; k++)
                points.Append(N(X(k + 1))).Append(',').Append(N(Y(Math.Max(yMin, s.MiouAtClicks[k])))).Append(' ');
            sb.Append(string.Create(Inv, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\" points=\"{points.ToString().TrimEnd()}\"/>\n"));
            double ly = top + 12 + i * 38;
            double lx = left + plotW + 16;
            sb.Append(string.Create(Inv, $"<line x1=\"{N(lx)}\" y1=\"{N(ly)}\" x2=\"{N(lx + 24)}\" y2=\"{N(ly)}\" stroke=\"{colour}\" stroke-width=\"3\"/>\n"));
            sb.Append(string.Create(Inv, $"<text x=\"{N(lx + 30)}\" y=\"{N(ly + 4)}\">{Escape(s.Strategy)}</text>\n"));
            sb.Append(string.Create(Inv, $"<text x=\"{N(lx + 30)}\" y=\"{N(ly + 20)}\" font-size=\"11\" fill=\"#555\">NoC90 {s.Noc90.ToString("0.00", Inv)}</text>\n"));
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    /// <summary>A fixed-width table for the console: one row per strategy.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.Append(string.Create(Inv, $"model {Result.ModelName}, {Images} images, {Result.TotalSeconds:0.0} s, encoder median {EncoderMsMedian:0} ms\n"));
        if (BoxMiou is not null)
            sb.Append(string.Create(Inv, $"box mIoU {BoxMiou:0.0000}   tight box mIoU {TightBoxMiou:0.0000}\n"));
        if (Strategies.Count == 0) return sb.ToString();
        int nameWidth = Math.Max(8, Strategies.Max(s => s.Strategy.Length));
        int max = Result.MaxClicks;
        sb.Append("strategy".PadRight(nameWidth)).Append("  click1  NoC85  NoC90  NoF85  NoF90");
        foreach (int k in new[] { 2, 3, 5 }) if (k <= max) sb.Append(string.Create(Inv, $"  @{k,-5}"));
        sb.Append("  drop    collapse  ms p50  ms p90\n");
        foreach (var s in Strategies)
        {
            sb.Append(s.Strategy.PadRight(nameWidth));
            sb.Append(string.Create(Inv, $"  {s.Click1Miou,6:0.0000}  {s.Noc85,5:0.00}  {s.Noc90,5:0.00}  {s.Nof85,5}  {s.Nof90,5}"));
            foreach (int k in new[] { 2, 3, 5 }) if (k <= max) sb.Append(string.Create(Inv, $"  {s.MiouAtClicks[k - 1],6:0.0000}"));
            sb.Append(string.Create(Inv, $"  {s.MaxClickDrop,6:0.0000}  {s.CollapseRate,8:0.0%}  {s.ClickMsMedian,6:0.0}  {s.ClickMsP90,6:0.0}\n"));
        }
        return sb.ToString();
    }

    public void WriteJson(string path) => AtomicFile.WriteAllText(path, ToJson());
    public void WritePerImageCsv(string path) => AtomicFile.WriteAllText(path, ToPerImageCsv());
    public void WriteSvgPlot(string path) => AtomicFile.WriteAllText(path, ToSvgPlot());

    /// <summary>The click trace (<see cref="ClickTrace"/>) of every image and strategy, in run order; the header alone when the run kept no trace.</summary>
    public string ToTraceCsv() => ClickTrace.ToCsv(Result.Images.SelectMany(i => i.Strategies).SelectMany(s => s.Trace ?? []));

    public void WriteTrace(string path) => AtomicFile.WriteAllText(path, ToTraceCsv());

    private static string F(double? v, int digits) => v is { } x && double.IsFinite(x) ? Math.Round(x, digits).ToString(Inv) : "";

    private static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

    private static double? Mean(IEnumerable<double?> values)
    {
        double sum = 0;
        int n = 0;
        foreach (var v in values) if (v is { } x) { sum += x; n++; }
        return n == 0 ? null : sum / n;
    }

    /// <summary>The largest fall from one value to the next (0 when the values never fall).</summary>
    internal static double MaxDrop(IReadOnlyList<double> values)
    {
        double drop = 0;
        for (int k = 1; k < values.Count; k++) drop = Math.Max(drop, values[k - 1] - values[k]);
        return drop;
    }

    /// <summary>The <paramref name="q"/> quantile (0..1) with linear interpolation between order statistics (NumPy's default); NaN when empty.</summary>
    internal static double Percentile(double[] values, double q)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    internal static double Median(double[] values)
    {
        if (values.Length == 0) return double.NaN;
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}

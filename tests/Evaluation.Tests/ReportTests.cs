using System.Text.Json;
using System.Xml.Linq;
using SegPlugins.Evaluation;
using SegPlugins.Core;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Evaluation.Tests;

public class ReportTests
{
    private static readonly string[] Keys =
        ["images", "box_miou", "tight_box_miou", "click1_miou", "noc85", "noc90", "nof85", "nof90", "miou_at_clicks", "max_click_drop", "collapse_rate", "encoder_ms_median", "click_ms_median", "click_ms_p90", "strategy"];

    private static EvaluationResult Result(params string[] strategies)
    {
        var images = new List<ImageResult>();
        for (int i = 0; i < 3; i++)
        {
            var per = new List<StrategyImageResult>();
            for (int s = 0; s < strategies.Length; s++)
            {
                var ious = new double[20];
                for (int k = 0; k < 20; k++) ious[k] = Math.Min(1.0, 0.6 + 0.1 * k + 0.04 * i + 0.02 * s);
                per.Add(new StrategyImageResult(strategies[s], ious,
                    SegmentationMetrics.NumberOfClicks(ious, 0.85, 20), SegmentationMetrics.NumberOfClicks(ious, 0.90, 20),
                    [10 + i, 20 + i], []));
            }
            images.Add(new ImageResult($"img{i}", 30, 20, 0.8 + 0.01 * i, 0.9, 100 + 10 * i, per));
        }
        return new EvaluationResult("fake", "/data", EvaluationMode.All, 20, strategies, images, 1.5);
    }

    [Fact]
    public void JsonHasExactlyTheReportKeys()
    {
        var report = EvaluationReport.FromResult(Result("feedback-logits"));
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal(Keys, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, root.GetProperty("images").GetInt32());
        Assert.Equal(20, root.GetProperty("miou_at_clicks").GetArrayLength());
        Assert.Equal(0.81, root.GetProperty("box_miou").GetDouble(), 6);
        Assert.Equal(110.0, root.GetProperty("encoder_ms_median").GetDouble(), 6);
        Assert.Equal(0.64, root.GetProperty("click1_miou").GetDouble(), 6); // (0.60+0.64+0.68)/3
        // Image i reaches 0.85 at click 4, 4, 3.
        Assert.Equal((4 + 4 + 3) / 3.0, root.GetProperty("noc85").GetDouble(), 3);
        Assert.Equal(0, root.GetProperty("nof90").GetInt32());
        Assert.Equal("feedback-logits", root.GetProperty("strategy").GetString());
        Assert.Equal(16.0, root.GetProperty("click_ms_median").GetDouble(), 6); // of 10,11,12,20,21,22
    }

    [Fact]
    public void DropsCollapsesAndClickTimePercentilesAreExact()
    {
        // Image 0 falls 0.9 -> 0.8 at click 2 (a collapse), image 1 falls 0.5 -> 0.46 at click 3 (under 0.05: not one),
        // image 2 only rises. Mean curve: 0.6, 0.6333, 0.62 (fall 0.0133), then flat.
        double[][] ious = [[0.9, 0.8, 0.8, 0.8], [0.5, 0.5, 0.46, 0.46], [0.4, 0.6, 0.6, 0.6]];
        var images = ious.Select((v, i) => new ImageResult($"i{i}", 4, 4, null, null, 1,
            [new StrategyImageResult("fused", v, 4, 4, [10.0 * (i + 1), 5, 100 + i], [])])).ToList();
        var report = EvaluationReport.FromResult(new EvaluationResult("fake", "/d", EvaluationMode.Clicks, 4, ["fused"], images, 1));
        var s = report.Strategies[0];
        Assert.Equal((0.8 + 0.5 + 0.6) / 3 - (0.8 + 0.46 + 0.6) / 3, s.MaxClickDrop, 12);
        Assert.Equal(1 / 3.0, s.CollapseRate, 12);
        // Click times 5,5,5,10,20,30,100,101,102: median 20; p90 at rank 7.2 of 0..8 = 101 + 0.2.
        Assert.Equal(20, s.ClickMsMedian, 12);
        Assert.Equal(101.2, s.ClickMsP90, 9);
        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal(0.3333, doc.RootElement.GetProperty("collapse_rate").GetDouble(), 9);
        Assert.Equal(101.2, doc.RootElement.GetProperty("click_ms_p90").GetDouble(), 9);
        Assert.Equal(0.0133, doc.RootElement.GetProperty("max_click_drop").GetDouble(), 9);
    }

    [Theory]
    [InlineData(new double[] { 1, 2, 3 }, 0)]
    [InlineData(new double[] { 3, 2, 2.5, 1 }, 1.5)]
    [InlineData(new double[] { 0.5 }, 0)]
    public void MaxDropIsTheLargestFallBetweenNeighbours(double[] values, double drop) => Assert.Equal(drop, EvaluationReport.MaxDrop(values), 12);

    [Theory]
    [InlineData(0.0, 1)]
    [InlineData(0.5, 2.5)]
    [InlineData(0.9, 3.7)]
    [InlineData(1.0, 4)]
    public void PercentileInterpolatesBetweenOrderStatistics(double q, double expected) =>
        Assert.Equal(expected, EvaluationReport.Percentile([4, 1, 3, 2], q), 12);

    [Fact]
    public void SeveralStrategiesAddAStrategiesArrayAndTopLevelIsTheDefault()
    {
        var report = EvaluationReport.FromResult(Result("all-clicks", "fused", "zoom-in"));
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal([.. Keys, "strategies"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("fused", root.GetProperty("strategy").GetString());
        var list = root.GetProperty("strategies").EnumerateArray().ToArray();
        Assert.Equal(3, list.Length);
        foreach (var s in list)
        {
            Assert.Equal(Keys, s.EnumerateObject().Select(p => p.Name));
            Assert.Equal(20, s.GetProperty("miou_at_clicks").GetArrayLength());
        }
        Assert.Equal("zoom-in", list[2].GetProperty("strategy").GetString());
        Assert.True(list[2].GetProperty("click1_miou").GetDouble() > list[0].GetProperty("click1_miou").GetDouble());
    }

    [Fact]
    public void BoxOnlyRunHasNullClickScores()
    {
        var r = Result();
        var report = EvaluationReport.FromResult(r with { Mode = EvaluationMode.Box });
        using var doc = JsonDocument.Parse(report.ToJson());
        Assert.Equal(Keys, doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("noc90").ValueKind);
        Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("tight_box_miou").ValueKind);
    }

    [Fact]
    public void CsvHasARowPerImageAndStrategy()
    {
        var report = EvaluationReport.FromResult(Result("all-clicks", "feedback-logits"));
        var lines = report.ToPerImageCsv().TrimEnd('\n').Split('\n');
        Assert.Equal(1 + 3 * 2, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(10 + 2 * 20, header.Length);
        Assert.Equal("iou_20", header[29]);
        Assert.Equal("ms_1", header[30]);
        Assert.Equal("ms_20", header[^1]);
        foreach (var l in lines) Assert.Equal(header.Length, l.Split(',').Length);
        Assert.StartsWith("img0,30,20,0.8,0.9,100,all-clicks,", lines[1]);
        var row = lines[3].Split(','); // img1, all-clicks: two clicks timed (11 and 21 ms), the rest not made
        Assert.Equal(["11", "21", ""], row[30..33]);
        Assert.Equal("", row[^1]);
    }

    [Fact]
    public void SvgIsWellFormedWithOneLinePerStrategyAndLabelledAxes()
    {
        var report = EvaluationReport.FromResult(Result("all-clicks", "feedback-logits", "zoom-in"));
        var svg = XDocument.Parse(report.ToSvgPlot());
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = svg.Descendants(ns + "polyline").ToArray();
        Assert.Equal(3, lines.Length);
        foreach (var l in lines) Assert.Equal(20, l.Attribute("points")!.Value.Split(' ').Length);
        var texts = svg.Descendants(ns + "text").Select(t => t.Value).ToArray();
        Assert.Contains("number of clicks", texts);
        Assert.Contains("mean IoU", texts);
        Assert.Contains("zoom-in", texts);
        Assert.Contains("20", texts);
        Assert.Contains("1.00", texts);
    }

    [Fact]
    public void TableListsEveryStrategy()
    {
        var table = EvaluationReport.FromResult(Result("all-clicks", "feedback-logits")).ToTable();
        Assert.Contains("all-clicks", table);
        Assert.Contains("feedback-logits", table);
        Assert.Contains("NoC90", table);
        Assert.Contains("tight box mIoU 0.9000", table);
    }

    [Fact]
    public void WritesAreAtomicAndLeaveNoTemporaryFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "segplug-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var report = EvaluationReport.FromResult(Result("feedback-logits"));
            var path = Path.Combine(dir, "r.json");
            File.WriteAllText(path, "old");
            report.WriteJson(path);
            Assert.Equal(report.ToJson(), File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally { Directory.Delete(dir, true); }
    }
}

using SegPlugins.Core.Masks;
using SegPlugins.Core.Tests.Support;
using SegPlugins.Evaluation;
using Xunit;

namespace SegPlugins.Evaluation.Tests;

public class ClickTraceTests
{
    private static Mask Columns(int w, int h, int y0, int y1, params (int X0, int X1)[] spans)
    {
        var m = new Mask(w, h);
        foreach (var (x0, x1) in spans)
            for (int y = y0; y <= y1; y++)
                for (int x = x0; x <= x1; x++) m.Data[y * w + x] = Mask.On;
        return m;
    }

    [Fact]
    public void LostPixelsAreToldApartByWhereTheyLie()
    {
        // The object is the band x 10..89, y 5..14; the selection lacks its right end (x 80..89).
        var truth = EvalTestUtil.Rect(100, 20, 10, 5, 89, 14);
        var previous = Columns(100, 20, 5, 14, (10, 79));
        // The answer to an include click at (85,10) adds x 80..95 (six columns too many, joined to the click), drops
        // x 70..72 (13-15 px from the click: near) and x 10..19 (far).
        var answer = Columns(100, 20, 5, 14, (20, 69), (73, 95));
        var row = ClickTrace.Measure("band", "s", 2, truth, previous, answer, new SimulatedClick(85, 10, true, 5), "merged");
        Assert.False(row.InsidePrevious);
        Assert.Equal(6, row.EdgeDistance, 6);                 // to (79,10)
        Assert.Equal(6.0 / 5.0, row.RelativeDepth, 6);        // the band's largest inner depth is 5
        Assert.Equal(100, row.Gained);
        Assert.Equal(60, row.LostAtClick);
        Assert.Equal(30, row.LostNear);
        Assert.Equal(100, row.LostFar);
        Assert.Equal(190, row.Lost);
        Assert.Equal(700, row.PreviousArea);
        Assert.Equal(answer.Area(), row.Area);
        Assert.Equal(SegmentationMetrics.IoU(truth, previous), row.IoUBefore, 12);
        Assert.Equal(SegmentationMetrics.IoU(truth, answer), row.IoU, 12);
        Assert.Equal("merged", row.Notes);

        var csv = ClickTrace.ToCsv([row]).Split('\n');
        Assert.Equal(ClickTrace.Header, csv[0]);
        Assert.Equal(FormattableString.Invariant($"band,s,2,1,{Math.Round(row.IoUBefore, 4)},{Math.Round(row.IoU, 4)},0,6,1.2,700,{row.Area},merged,190,60,30,100,100"), csv[1]);
    }

    [Fact]
    public void TheFirstClickHasNoEdgeAndAnExcludeClickIsMeasuredInside()
    {
        var truth = EvalTestUtil.Rect(40, 20, 5, 5, 14, 14);
        var disk = FakeSegmentation.Disk(40, 20, 10, 10, 4);
        var first = ClickTrace.Measure("a", "s", 1, truth, null, disk, new SimulatedClick(10, 10, true, 5), "");
        Assert.True(double.IsNaN(first.EdgeDistance));
        Assert.Equal(0, first.IoUBefore);
        Assert.Equal(0, first.Lost);
        Assert.Contains("a,s,1,1,0,", ClickTrace.ToCsv([first]));

        var wide = Columns(40, 20, 5, 14, (5, 30));
        var cut = Columns(40, 20, 5, 14, (5, 20));
        var row = ClickTrace.Measure("a", "s", 2, truth, wide, cut, new SimulatedClick(25, 10, false, 5), "");
        Assert.True(row.InsidePrevious);
        Assert.Equal(5, row.EdgeDistance, 6);                 // to row 15 below the band (x 31 and row 4 lie 6 away)
        Assert.Equal(0, row.Lost);
        Assert.Equal(100, row.Gained);
    }

    [Fact]
    public void TheRunnerTracesEveryClickItScores()
    {
        using var d = new TempDataset();
        d.Add("s1", 60, 40, 10, 10, 21, 21);
        var session = new DiskSession(5);
        var options = new EvaluationOptions { Mode = EvaluationMode.Clicks, MaxClicks = 6, Trace = true, Strategies = [ClickStrategies.Create(ClickStrategyKind.FeedbackLogits)] };
        var result = new EvaluationRunner(session, null, options).Run(SegmentationDataset.Open(d.Root));
        var s = result.Images[0].Strategies[0];
        Assert.NotNull(s.Trace);
        Assert.Equal(s.Clicks.Count, s.Trace!.Count);
        for (int k = 0; k < s.Trace.Count; k++)
        {
            Assert.Equal(k + 1, s.Trace[k].Click);
            Assert.Equal(s.IoUs[k], s.Trace[k].IoU, 12);
            Assert.Equal(k == 0 ? 0 : s.IoUs[k - 1], s.Trace[k].IoUBefore, 12);
            Assert.Equal(s.Clicks[k].Positive, s.Trace[k].Include);
        }
        var lines = EvaluationReportLines(result);
        Assert.Equal(s.Trace.Count + 1, lines.Length);
        // Without the option nothing is kept.
        var plain = new EvaluationRunner(new DiskSession(5), null, options with { Trace = false }).Run(SegmentationDataset.Open(d.Root));
        Assert.Null(plain.Images[0].Strategies[0].Trace);
    }

    private static string[] EvaluationReportLines(EvaluationResult result) =>
        EvaluationReport.FromResult(result).ToTraceCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

using SegPlugins.Evaluation;
using SegPlugins.Evaluation.Internal;
using SegPlugins.Core.Masks;
using SegPlugins.Core;
using SegPlugins.Core.Tests.Support;
using Xunit;
using static SegPlugins.Core.Tests.Support.FakeSegmentation;
using static SegPlugins.Evaluation.Tests.EvalTestUtil;

namespace SegPlugins.Evaluation.Tests;

public class MetricsTests
{
    [Fact]
    public void IoULeavesOutTheIgnoreBand()
    {
        var gt = Truth("##??..", "##??..");
        Assert.Equal(1.0, SegmentationMetrics.IoU(gt, MaskOf("####..", "####..")));
        Assert.Equal(0.5, SegmentationMetrics.IoU(gt, MaskOf("#.....", "#.....")));
        Assert.Equal(0.8, SegmentationMetrics.IoU(gt, MaskOf("##??#.", "##....")), 12);
        Assert.Equal(0.0, SegmentationMetrics.IoU(gt, MaskOf("......", "......")));
    }

    [Fact]
    public void IoUOfNothingPredictedAsNothingIsOne()
    {
        Assert.Equal(1.0, SegmentationMetrics.IoU(Truth("..??"), new Mask(4, 1)));
    }

    [Fact]
    public void KernelsMatchPlainReferences()
    {
        var rng = new Random(7);
        for (int t = 0; t < 30; t++)
        {
            int n = rng.Next(1, 500);
            var labels = new byte[n];
            var pred = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = rng.Next(3) switch { 0 => GroundTruth.Object, 1 => GroundTruth.Ignore, _ => GroundTruth.Background };
                pred[i] = (byte)(rng.Next(2) * 255);
            }
            long inter = 0, union = 0, fn = 0, fp = 0;
            for (int i = 0; i < n; i++)
            {
                if (labels[i] == GroundTruth.Ignore) continue;
                bool o = labels[i] == GroundTruth.Object, p = pred[i] != 0;
                if (o && p) inter++;
                if (o || p) union++;
                if (o && !p) fn++;
                if (!o && p) fp++;
            }
            ScoreKernels.IntersectionUnion(labels, pred, out long ki, out long ku);
            Assert.Equal((inter, union), (ki, ku));
            var errors = new byte[n];
            Assert.Equal(fn, ScoreKernels.ErrorMap(labels, pred, positive: true, errors));
            for (int i = 0; i < n; i++) Assert.Equal(labels[i] == GroundTruth.Object && pred[i] == 0, errors[i] == 255);
            Assert.Equal(fp, ScoreKernels.ErrorMap(labels, pred, positive: false, errors));
            for (int i = 0; i < n; i++) Assert.Equal(labels[i] == GroundTruth.Background && pred[i] != 0, errors[i] == 255);
            long objects = 0;
            foreach (var b in labels) if (b == GroundTruth.Object) objects++;
            Assert.Equal(objects, ScoreKernels.Count(labels, GroundTruth.Object));
        }
    }

    [Fact]
    public void NocCountsTheFirstClickThatReachesTheThreshold()
    {
        var ious = new double[20];
        for (int k = 0; k < 20; k++) ious[k] = 0.5 + 0.03 * k; // click 13 reaches 0.86, click 15 reaches 0.92
        Assert.Equal(13, SegmentationMetrics.NumberOfClicks(ious, 0.85, 20));
        Assert.Equal(15, SegmentationMetrics.NumberOfClicks(ious, 0.90, 20));
        Assert.False(SegmentationMetrics.Failed(ious, 0.90, 20));
    }

    [Fact]
    public void NocReachedExactlyAtThresholdCounts()
    {
        Assert.Equal(2, SegmentationMetrics.NumberOfClicks([0.7, 0.9, 0.95], 0.90, 20));
        Assert.Equal(1, SegmentationMetrics.NumberOfClicks([0.91], 0.90, 20));
    }

    [Fact]
    public void NocNeverReachedCountsTheBudget()
    {
        var ious = Enumerable.Repeat(0.8, 20).ToArray();
        Assert.Equal(20, SegmentationMetrics.NumberOfClicks(ious, 0.85, 20));
        Assert.True(SegmentationMetrics.Failed(ious, 0.85, 20));
        // A dip after reaching does not matter, and a success after the budget does not count.
        Assert.Equal(1, SegmentationMetrics.NumberOfClicks([0.95, 0.5], 0.90, 20));
        Assert.Equal(3, SegmentationMetrics.NumberOfClicks([0.5, 0.5, 0.5, 0.99], 0.90, 3));
        Assert.Throws<SegArgumentException>(() => SegmentationMetrics.NumberOfClicks([0.5], 0.9, 0));
    }
}

using SegPlugins.Core;
using SegPlugins.Evaluation;
using Xunit;

namespace SegPlugins.Evaluation.Tests;

/// <summary>The benchmark's four errors on cases small enough to work out by hand.</summary>
public class MatteMetricsTests
{
    [Fact]
    public void SadSumsAbsoluteDifferencesInThousands()
    {
        float[] pred = [0f, 0.5f, 1f, 1f], truth = [0f, 0f, 1f, 0f];
        Assert.Equal(1.5 / 1000, MatteMetrics.Sad(pred, truth), 9);
        Assert.Equal(0.5 / 1000, MatteMetrics.Sad(pred, truth, new[] { true, true, true, false }), 9);
    }

    [Fact]
    public void MseIsTheMeanOverTheRegion()
    {
        float[] pred = [0f, 0.5f, 1f, 1f], truth = [0f, 0f, 1f, 0f];
        Assert.Equal((0.25 + 1) / 4, MatteMetrics.Mse(pred, truth), 9);
        Assert.Equal(0.25 / 2, MatteMetrics.Mse(pred, truth, new[] { true, true, false, false }), 9);
    }

    [Fact]
    public void GradientErrorOfAnImpulseIsTheSumOfBothKernelsSquared()
    {
        // Unit-norm kernels: an impulse away from the border spreads each kernel once, so the error is (1 + 1) / 1000.
        int w = 21, h = 21;
        var truth = new float[w * h];
        var pred = new float[w * h];
        truth[10 * w + 10] = 1f;
        Assert.Equal(2.0 / 1000, MatteMetrics.Gradient(pred, truth, w, h), 6);
        MatteMetrics.DerivativeKernel(MatteMetrics.GradientSigma, out int half);
        Assert.Equal(4, half);
    }

    [Fact]
    public void GradientIgnoresAConstantOffset()
    {
        int w = 12, h = 9;
        var truth = new float[w * h];
        var pred = new float[w * h];
        for (int i = 0; i < pred.Length; i++) { truth[i] = 0.3f; pred[i] = 0.5f; }
        Assert.Equal(0, MatteMetrics.Gradient(pred, truth, w, h), 9);
        Assert.NotEqual(0, MatteMetrics.Sad(pred, truth));
    }

    [Fact]
    public void ConnectivityCountsAPixelCutOffFromTheObject()
    {
        // Truth: a 1x3 strip, all 1. Prediction drops the middle pixel: the right pixel is cut off from the largest
        // component at t = 0.1 (level 0) but both mattes agree there (phi 0); the middle pixel has phi 1 against 0.
        float[] truth = [1f, 1f, 1f], pred = [1f, 0f, 1f];
        Assert.Equal(1.0 / 1000, MatteMetrics.Connectivity(pred, truth, 3, 1), 9);
        Assert.Equal(0, MatteMetrics.Connectivity(truth, truth, 3, 1), 9);
    }

    [Fact]
    public void ConnectivityIgnoresSmallDistances()
    {
        // A pixel of 0.1 everywhere: every pixel leaves the component at t = 0.2 (level 0.1), d = 0 or 0.1 < 0.15.
        float[] truth = [0.1f, 0.1f], pred = [0.2f, 0.2f];
        Assert.Equal(0, MatteMetrics.Connectivity(pred, truth, 2, 1), 9);
    }

    [Fact]
    public void MismatchedSizesAreRefused()
    {
        var e = Assert.Throws<SegArgumentException>(() => MatteMetrics.Sad(new float[3], new float[4]));
        Assert.Contains("ground truth has 4", e.Message);
        Assert.Throws<SegArgumentException>(() => MatteMetrics.Gradient(new float[6], new float[6], 4, 2));
    }
}

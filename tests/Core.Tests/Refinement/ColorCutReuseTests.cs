using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Refinement.Internal;

namespace SegPlugins.Core.Tests.Refinement;

/// <summary>
/// The colour cut of a click chain starting from the previous cut's graph: the labels must be those of a cut from
/// scratch, whatever the previous costs were.
/// </summary>
public class ColorCutReuseTests
{
    /// <summary>A textured two-colour scene: a warm blob on a cool background, with noise.</summary>
    private static uint[] Colors(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var c = new uint[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double dx = (x - w * 0.45) / (w * 0.3), dy = (y - h * 0.5) / (h * 0.3);
                bool inside = dx * dx + dy * dy < 1;
                int n = rng.Next(-30, 31);
                int r = Math.Clamp((inside ? 190 : 70) + n, 0, 255), g = Math.Clamp((inside ? 80 : 140) + n, 0, 255), b = Math.Clamp((inside ? 60 : 120) - n, 0, 255);
                c[y * w + x] = 0xFF000000u | (uint)(r << 16) | (uint)(g << 8) | (uint)b;
            }
        }
        return c;
    }

    /// <summary>A problem over <paramref name="colors"/> with random priors, a few constraints and random first labels.</summary>
    private static ColorCut.Problem Problem(int w, int h, uint[] colors, Random rng)
    {
        int n = w * h;
        var sel = new float[n];
        var unsel = new float[n];
        var cons = new byte[n];
        var init = new bool[n];
        double cx = rng.NextDouble() * w, cy = rng.NextDouble() * h, rad = (0.2 + 0.3 * rng.NextDouble()) * Math.Min(w, h);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                bool guess = (x - cx) * (x - cx) + (y - cy) * (y - cy) < rad * rad;
                float conf = (float)(0.2 + 2 * rng.NextDouble());
                sel[i] = guess ? 0.1f : conf;
                unsel[i] = guess ? conf : 0.1f;
                init[i] = guess;
                int k = rng.Next(200);
                cons[i] = k == 0 ? ColorCut.ForceSelected : k == 1 ? ColorCut.ForceUnselected : ColorCut.Unconstrained;
            }
        }
        return new ColorCut.Problem(w, h, colors, sel, unsel, cons, init);
    }

    [Theory]
    [InlineData(40, 30, 1, 2)]
    [InlineData(64, 48, 2, 2)]
    [InlineData(33, 57, 3, 3)]
    [InlineData(50, 50, 4, 1)]
    public void CutsFromTheKeptGraphEqualCutsFromScratch(int w, int h, int seed, int rounds)
    {
        var rng = new Random(seed);
        var colors = Colors(w, h, seed);
        var other = Colors(w, h, seed + 100);
        var settings = new ColorCut.Settings(5, rounds, 12);
        var reuse = new ColorCutReuse();
        // Same grid several times (hits), then another grid (a miss), then the first again (a miss, then hits).
        var grids = new[] { colors, colors, colors, colors, other, colors, colors };
        foreach (var grid in grids)
        {
            var p = Problem(w, h, grid, rng);
            var fresh = ColorCut.Run(p, settings);
            var reused = ColorCut.Run(p, settings, measure: false, out _, default, reuse);
            Assert.Equal(fresh, reused);
        }
        Assert.Equal(4, reuse.Hits);
        Assert.Equal(3, reuse.Misses);
    }

    [Fact]
    public void AnotherSmoothnessOrSizeBuildsANewGraph()
    {
        var rng = new Random(7);
        var colors = Colors(30, 20, 7);
        var reuse = new ColorCutReuse();
        var p = Problem(30, 20, colors, rng);
        ColorCut.Run(p, new ColorCut.Settings(5, 2, 12), false, out _, default, reuse);
        var other = ColorCut.Run(p, new ColorCut.Settings(5, 2, 30), false, out _, default, reuse);
        Assert.Equal(ColorCut.Run(p, new ColorCut.Settings(5, 2, 30)), other);
        var q = Problem(20, 30, Colors(20, 30, 7), rng);
        Assert.Equal(ColorCut.Run(q, new ColorCut.Settings(5, 2, 12)), ColorCut.Run(q, new ColorCut.Settings(5, 2, 12), false, out _, default, reuse));
        Assert.Equal(0, reuse.Hits);
        Assert.Equal(3, reuse.Misses);
    }

    [Fact]
    public void ACancelledCutLeavesNothingBehind()
    {
        var rng = new Random(9);
        var colors = Colors(40, 30, 9);
        var reuse = new ColorCutReuse();
        var settings = new ColorCut.Settings(5, 2, 12);
        ColorCut.Run(Problem(40, 30, colors, rng), settings, false, out _, default, reuse);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ColorCut.Run(Problem(40, 30, colors, rng), settings, false, out _, cts.Token, reuse));
        // The graph was taken out when the cancelled cut began: the next cut builds its own and is still exact.
        var p = Problem(40, 30, colors, rng);
        Assert.Equal(ColorCut.Run(p, settings), ColorCut.Run(p, settings, false, out _, default, reuse));
        Assert.Equal(1, reuse.Hits);
        Assert.Equal(2, reuse.Misses);
    }

    [Fact]
    public void RefiningSuccessiveAnswersOfOneImageReusesTheGraphAndChangesNoSelection()
    {
        // A 96x72 scene whose working region is the whole image for every answer below (the answers' boxes grown
        // by the default 1.4 cover it), so each refinement after the first starts from the previous graph.
        const int w = 96, h = 72;
        var img = new BgraImage(w, h);
        var colors = Colors(w, h, 5);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                img.RowUInt32(y)[x] = colors[y * w + x];
        var reuse = new ColorCutReuse();
        var rng = new Random(5);
        for (int k = 0; k < 6; k++)
        {
            var logits = new LogitMap(w, h);
            double cx = 40 + rng.Next(-4, 5), cy = 36 + rng.Next(-4, 5), rx = 36 + rng.Next(0, 6), ry = 30 + rng.Next(0, 5);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double dx = (x - cx) / rx, dy = (y - cy) / ry;
                    logits.Data[y * w + x] = (float)(4 * (1 - dx * dx - dy * dy));
                }
            var clicks = new[] { PointPrompt.Include(43, 36), PointPrompt.Exclude(5 + k, 60) };
            var input = new ColorRefineInput { Clicks = clicks };
            var fresh = ColorRefiner.Refine(img, logits, input);
            var reused = ColorRefiner.RefineReusing(img, logits, input, null, reuse, default);
            Assert.Equal(fresh.Data, reused.Data);
            Assert.True(fresh.Area() > 0);
        }
        Assert.Equal(5, reuse.Hits);
        Assert.Equal(1, reuse.Misses);
    }
}

public class StickyRegionTests
{
    [Fact]
    public void APreviousRegionIsKeptOnlyWhenItHoldsTheNewOneWithinTheSlack()
    {
        var reuse = new ColorCutReuse();
        var first = new PixelRect(10, 10, 100, 80);
        Assert.Equal(first, reuse.StickyRegion(first, 0.25));
        // Inside, and the kept one is 8000 / 6650 = 1.20x its area: kept.
        Assert.Equal(first, reuse.StickyRegion(new PixelRect(15, 12, 95, 70), 0.25));
        // Inside but too small (8000 / 4000 = 2x): its own, which is then remembered.
        var small = new PixelRect(20, 20, 80, 50);
        Assert.Equal(small, reuse.StickyRegion(small, 0.25));
        Assert.Equal(small, reuse.StickyRegion(new PixelRect(20, 20, 80, 50), 0));
        // Reaching outside the kept one: its own.
        var wider = new PixelRect(19, 20, 81, 50);
        Assert.Equal(wider, reuse.StickyRegion(wider, 5));
        // Slack 0 keeps only an equal region.
        Assert.Equal(new PixelRect(20, 20, 80, 50), reuse.StickyRegion(new PixelRect(20, 20, 80, 50), 0));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(10.5)]
    [InlineData(double.NaN)]
    public void ABadSlackIsRefusedByName(double slack)
    {
        var img = new BgraImage(8, 8);
        var logits = new LogitMap(8, 8);
        var e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, null, new ColorRefineOptions { KeepRegionSlack = slack }));
        Assert.Contains("keep region slack", e.Message);
    }
}

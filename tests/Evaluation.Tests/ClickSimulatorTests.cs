using SegPlugins.Evaluation;
using SegPlugins.Core.Masks;
using SegPlugins.Core;
using SegPlugins.Core.Tests.Support;
using Xunit;
using static SegPlugins.Core.Tests.Support.FakeSegmentation;
using static SegPlugins.Evaluation.Tests.EvalTestUtil;

namespace SegPlugins.Evaluation.Tests;

public class ClickSimulatorTests
{
    [Fact]
    public void FirstClickGoesToTheObjectPixelFarthestFromTheBackground()
    {
        var gt = Rect(30, 20, 5, 3, 15, 13); // 11x11 square, centre (10,8)
        var c = new ClickSimulator(gt).Next(null);
        Assert.Equal(new SimulatedClick(10, 8, true, 6f), c);
    }

    [Fact]
    public void ImageBorderCountsAsCorrectAndTiesGoToFirstPixelInRowMajorOrder()
    {
        // 10x10 object in the top-left corner of a 20x20 image: (4,4),(5,4),(4,5),(5,5) are all 5 px from the
        // border ring or the background; without the border rule the farthest pixel would be (0,0).
        var gt = Rect(20, 20, 0, 0, 9, 9);
        var c = new ClickSimulator(gt).Next(null)!.Value;
        Assert.Equal((4, 4, true), (c.X, c.Y, c.Positive));
        Assert.Equal(5f, c.Distance);
    }

    [Fact]
    public void AlreadyClickedPixelsAreSkipped()
    {
        var gt = Rect(20, 20, 0, 0, 9, 9);
        var sim = new ClickSimulator(gt);
        var first = sim.Next(null)!.Value;
        var second = sim.Next(null)!.Value;
        var third = sim.Next(null)!.Value;
        Assert.Equal((4, 4), (first.X, first.Y));
        Assert.Equal((5, 4), (second.X, second.Y)); // next of the four tied pixels in row-major order
        Assert.Equal((4, 5), (third.X, third.Y));
        Assert.Equal(3, sim.Clicks.Count);
    }

    [Fact]
    public void PositiveWhenTheMissedRegionIsDeeper()
    {
        var gt = Truth(
            "..........",
            ".#######..",
            ".#######..",
            ".#######..",
            ".#######..",
            ".#######..",
            "..........");
        var pred = MaskOf(
            "..........",
            ".##.......",
            ".##.......",
            ".##.......",
            ".##.......",
            ".##.......",
            "........##");
        var c = new ClickSimulator(gt).Next(pred)!.Value;
        Assert.True(c.Positive);
        Assert.Equal((5, 3), (c.X, c.Y)); // centre of the 5x5 missed block (columns 3-7)
    }

    [Fact]
    public void NegativeWhenTheWronglySelectedRegionIsDeeper()
    {
        var gt = Truth(
            "##........",
            "##........",
            "..........",
            "..........",
            "..........",
            "..........",
            "..........");
        var pred = MaskOf(
            "#.........",
            "##........",
            "...#####..",
            "...#####..",
            "...#####..",
            "...#####..",
            "...#####..");
        var c = new ClickSimulator(gt).Next(pred)!.Value;
        Assert.False(c.Positive);
        Assert.Equal((5, 4), (c.X, c.Y));
    }

    [Fact]
    public void EqualDepthsGiveANegativeClick()
    {
        // A 3x3 miss on the left and a 3x3 false selection on the right: both 2 px deep.
        var gt = Truth(
            ".........",
            ".###.....",
            ".###.....",
            ".###.....",
            ".........");
        var pred = MaskOf(
            ".........",
            ".....###.",
            ".....###.",
            ".....###.",
            ".........");
        var c = new ClickSimulator(gt).Next(pred)!.Value;
        Assert.False(c.Positive);
        Assert.Equal((6, 2), (c.X, c.Y));
    }

    [Fact]
    public void IgnoreBandIsNeverClickedAndCountsAsCorrect()
    {
        // The object's left part is the ignore band: the deepest object pixel is measured to the band too.
        var gt = Truth(
            "............",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            ".???#######.",
            "............");
        // Measured to the band, (7,4) is 4 px deep; measured through the band to the background it would be (5,5), 5 px.
        var c = new ClickSimulator(gt).Next(null)!.Value;
        Assert.Equal((7, 4, true), (c.X, c.Y, c.Positive));
        Assert.Equal(4f, c.Distance);

        // Selecting the band is not an error: with the object selected there is nothing left to click.
        var pred = MaskOf(
            "............",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            ".##########.",
            "............");
        Assert.Null(new ClickSimulator(gt).Next(pred));
    }

    [Fact]
    public void OnlyIgnoreAndBackgroundMeansNoClick()
    {
        var gt = Truth("..??..", "..??..");
        Assert.Null(new ClickSimulator(gt).Next(null));
    }

    [Fact]
    public void RejectsPredictionOfAnotherSize()
    {
        var sim = new ClickSimulator(Rect(10, 10, 2, 2, 5, 5));
        Assert.Throws<SegArgumentException>(() => sim.Next(new Mask(10, 9)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MatchesBruteForceProtocolOnRandomMasks(int seed)
    {
        var rng = new Random(seed);
        for (int trial = 0; trial < 15; trial++)
        {
            int w = rng.Next(1, 24), h = rng.Next(1, 20);
            var labels = new byte[w * h];
            // Blobby labels: a few random rectangles of object, background and ignore.
            for (int r = 0; r < 6; r++)
            {
                byte v = (r % 3) switch { 0 => GroundTruth.Object, 1 => GroundTruth.Ignore, _ => GroundTruth.Background };
                int x0 = rng.Next(w), y0 = rng.Next(h), x1 = Math.Min(w - 1, x0 + rng.Next(w)), y1 = Math.Min(h - 1, y0 + rng.Next(h));
                for (int y = y0; y <= y1; y++) for (int x = x0; x <= x1; x++) labels[y * w + x] = v;
            }
            var gt = new GroundTruth(w, h, labels);
            var sim = new ClickSimulator(gt);
            var clicked = new bool[w * h];
            for (int step = 0; step < 5; step++)
            {
                var pred = new Mask(w, h);
                for (int i = 0; i < pred.Data.Length; i++) pred.Data[i] = rng.NextDouble() < 0.3 ? Mask.On : Mask.Off;
                var expected = Reference(gt, pred, clicked);
                var actual = sim.Next(pred);
                Assert.Equal(expected, actual is { } a ? (a.X, a.Y, a.Positive) : null);
                if (actual is { } hit) clicked[hit.Y * w + hit.X] = true;
            }
        }
    }

    /// <summary>The protocol written out plainly: brute-force distances to the nearest correct pixel or the border.</summary>
    private static (int, int, bool)? Reference(GroundTruth gt, Mask pred, bool[] clicked)
    {
        int w = gt.Width, h = gt.Height;
        bool Error(int x, int y, bool positive)
        {
            byte g = gt.Labels[y * w + x];
            bool p = pred.Data[y * w + x] != 0;
            return positive ? g == GroundTruth.Object && !p : g == GroundTruth.Background && p;
        }
        (double d, int x, int y) Best(bool positive)
        {
            (double d, int x, int y) best = (0, -1, -1);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    if (!Error(x, y, positive) || clicked[y * w + x]) continue;
                    double d = double.MaxValue;
                    for (int qy = -1; qy <= h; qy++)
                        for (int qx = -1; qx <= w; qx++)
                        {
                            bool inside = qx >= 0 && qy >= 0 && qx < w && qy < h;
                            if (inside && Error(qx, qy, positive)) continue;
                            d = Math.Min(d, (double)(qx - x) * (qx - x) + (double)(qy - y) * (qy - y));
                        }
                    if (d > best.d) best = (d, x, y);
                }
            return best;
        }
        var fn = Best(true);
        var fp = Best(false);
        if (fn.x < 0 && fp.x < 0) return null;
        return fn.d > fp.d ? (fn.x, fn.y, true) : (fp.x, fp.y, false);
    }
}

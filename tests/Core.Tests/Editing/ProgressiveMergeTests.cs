using Xunit;
using SegPlugins.Core;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;
using static SegPlugins.Core.Tests.Support.FakeSegmentation;

namespace SegPlugins.Core.Tests.Editing;

public class ProgressiveMergeTests
{
    // Two parts of a selection: a block on the left and one on the right.
    private static readonly Mask Previous = MaskOf(
        "............",
        ".###....###.",
        ".###....###.",
        ".###....###.",
        "............",
        "............");

    [Fact]
    public void AnIncludeClickAddsOnlyTheAddedRegionItSitsIn()
    {
        // The answer grows the left block down (where the click is), drops the right block and adds a far speck.
        var answer = MaskOf(
            "...........#",
            ".###........",
            ".###........",
            ".###........",
            ".####.......",
            ".####.......");
        var merged = ProgressiveMerge.Merge(Previous, answer, PointPrompt.Include(2, 5));
        Assert.Equal(MaskOf(
            "............",
            ".###....###.",
            ".###....###.",
            ".###....###.",
            ".####.......",
            ".####.......").Data, merged.Data);
    }

    [Fact]
    public void AnExcludeClickRemovesOnlyTheRemovedRegionItSitsIn()
    {
        // The answer removes the right block's top row (where the click is) and the whole left block, and adds a speck.
        var answer = MaskOf(
            "#...........",
            "............",
            "........###.",
            "........###.",
            "............",
            "............");
        var merged = ProgressiveMerge.Merge(Previous, answer, PointPrompt.Exclude(9.5f, 1.2f));
        Assert.Equal(MaskOf(
            "............",
            ".###........",
            ".###....###.",
            ".###....###.",
            "............",
            "............").Data, merged.Data);
    }

    [Fact]
    public void RegionsTouchingOnlyAtACornerAreOneRegion()
    {
        // Added pixels: a diagonal chain from the click to the bottom right (8-connected), and one cut off by a gap.
        var previous = MaskOf(
            "......",
            "......",
            "......",
            "......");
        var answer = MaskOf(
            "#.....",
            ".#....",
            "..#.##",
            "......");
        var merged = ProgressiveMerge.Merge(previous, answer, PointPrompt.Include(0, 0));
        Assert.Equal(MaskOf(
            "#.....",
            ".#....",
            "..#...",
            "......").Data, merged.Data);
    }

    [Fact]
    public void AnAnswerThatIgnoresTheClickLeavesTheSelectionAsItWas()
    {
        // The include click at (5,2) stays unselected in the answer; the answer's other changes are not taken.
        var answer = MaskOf(
            "............",
            ".###........",
            ".###........",
            ".###........",
            "............",
            "............");
        var merged = ProgressiveMerge.Merge(Previous, answer, PointPrompt.Include(5, 2));
        Assert.Equal(Previous.Data, merged.Data);
        Assert.NotSame(Previous, merged);
        // An exclude click on a pixel the answer still selects: nothing removed.
        Assert.Equal(Previous.Data, ProgressiveMerge.Merge(Previous, answer, PointPrompt.Exclude(2, 2)).Data);
        // An include click on a pixel that was already selected adds nothing, even where the answer adds elsewhere.
        var grown = Previous.Union(MaskOf(
            "............",
            "............",
            "............",
            "............",
            "###.........",
            "###........."));
        Assert.Equal(Previous.Data, ProgressiveMerge.Merge(Previous, grown, PointPrompt.Include(2, 2)).Data);
        // Set to take the answer of an ignored click, the answer stands in each case.
        var takes = new ProgressiveMergeOptions { FromClick = 2, IgnoredClickTakesAnswer = true };
        Assert.Equal(answer.Data, ProgressiveMerge.Merge(Previous, answer, PointPrompt.Include(5, 2), takes).Data);
        Assert.Equal(answer.Data, ProgressiveMerge.Merge(Previous, answer, PointPrompt.Exclude(2, 2), takes).Data);
        Assert.Equal(grown.Data, ProgressiveMerge.Merge(Previous, grown, PointPrompt.Include(2, 2), takes with { EdgeBand = 2 }).Data);
        // A click the answer follows is still merged.
        var withSpeck = answer.Clone();
        withSpeck.Data[5 * 12 + 11] = Mask.On;
        var followed = ProgressiveMerge.Merge(Previous, withSpeck, PointPrompt.Exclude(9, 2), takes);
        Assert.Equal(answer.Data, followed.Data);
        Assert.Equal(ProgressiveMerge.Merge(Previous, withSpeck, PointPrompt.Exclude(9, 2)).Data, followed.Data);
    }

    [Fact]
    public void TheEdgeWindowKeepsTheChangeNearAClickByTheEdge()
    {
        var previous = MaskOf(
            "............",
            "............",
            "...######...",
            "...######...",
            "............",
            "............");
        // The answer to an include click two pixels below the selection floods the two bottom rows.
        var answer = MaskOf(
            "............",
            "............",
            "...######...",
            "...######...",
            "############",
            "############");
        var click = PointPrompt.Include(5, 5);
        Assert.Equal(2.0, ProgressiveMerge.EdgeDistance(previous, 5, 5, include: true));
        // Half side 1.5 x 2 = 3 pixels each way: columns 2..8.
        var merged = ProgressiveMerge.Merge(previous, answer, click, new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 1.5, MinWindow = 1 });
        Assert.Equal(MaskOf(
            "............",
            "............",
            "...######...",
            "...######...",
            "..#######...",
            "..#######...").Data, merged.Data);
        // The least half side applies when it is larger: 4 pixels each way, columns 1..9.
        merged = ProgressiveMerge.Merge(previous, answer, click, new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 1.5, MinWindow = 4 });
        Assert.Equal(MaskOf(
            "............",
            "............",
            "...######...",
            "...######...",
            ".#########..",
            ".#########..").Data, merged.Data);
        // A window wider than the image changes nothing about the merge.
        Assert.Equal(ProgressiveMerge.Merge(previous, answer, click).Data,
            ProgressiveMerge.Merge(previous, answer, click, new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 10, MinWindow = 1 }).Data);
    }

    [Fact]
    public void WithoutTheConnectedRuleEveryChangeInsideTheWindowIsTaken()
    {
        var previous = MaskOf(
            "..........",
            ".########.",
            ".########.",
            ".########.",
            "..........");
        // An exclude click at (4,2), two pixels from the edge: the answer cuts two separate holes near it and one far off.
        var answer = MaskOf(
            "..........",
            ".########.",
            ".##.#.##..",
            ".########.",
            "..........");
        var click = PointPrompt.Exclude(3, 2);
        Assert.Equal(2.0, ProgressiveMerge.EdgeDistance(previous, 3, 2, include: false));
        var options = new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 1, MinWindow = 2, ConnectedOnly = false };
        Assert.Equal(MaskOf(
            "..........",
            ".########.",
            ".##.#.##..",
            ".########.",
            "..........").Data, ProgressiveMerge.Merge(previous, answer, click, options with { EdgeWindow = 0.5, MinWindow = 20 }).Data);
        // Half side 2: columns 1..5 only; the far hole at column 8 stays selected.
        Assert.Equal(MaskOf(
            "..........",
            ".########.",
            ".##.#.###.",
            ".########.",
            "..........").Data, ProgressiveMerge.Merge(previous, answer, click, options).Data);
        // With the connected rule only the hole under the click goes.
        Assert.Equal(MaskOf(
            "..........",
            ".########.",
            ".##.#####.",
            ".########.",
            "..........").Data, ProgressiveMerge.Merge(previous, answer, click, options with { ConnectedOnly = true }).Data);
    }

    [Fact]
    public void WithAnEdgeDepthOnlyAClickNearTheEdgeIsMerged()
    {
        // A 9x9 block (largest inner depth 5); the answer to each click drops the block's left half.
        var previous = MaskOf(
            "...........",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            ".#########.",
            "...........");
        var answer = MaskOf(
            "...........",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "......####.",
            "...........");
        var options = new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 1, MinWindow = 1, EdgeDepth = 0.25 };
        // At (1,5) the click is one pixel from the edge (1 <= 0.25 x 5): only the window around it goes.
        var near = ProgressiveMerge.Merge(previous, answer, PointPrompt.Exclude(1, 5), options);
        var expected = previous.Clone();
        for (int y = 4; y <= 6; y++) for (int x = 1; x <= 2; x++) expected.Data[y * 11 + x] = Mask.Off;
        Assert.Equal(expected.Data, near.Data);
        // At (3,5) it is three pixels deep (3 > 1.25): the answer stands as it is.
        Assert.Equal(answer.Data, ProgressiveMerge.Merge(previous, answer, PointPrompt.Exclude(3, 5), options).Data);
        // Without the edge depth both are merged.
        Assert.NotEqual(answer.Data, ProgressiveMerge.Merge(previous, answer, PointPrompt.Exclude(3, 5), options with { EdgeDepth = 0 }).Data);
    }

    [Fact]
    public void TheEdgeDistanceAgreesWithABruteForceSearchOnRandomMasks()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 300; trial++)
        {
            int w = rng.Next(1, 30), h = rng.Next(1, 30);
            var m = RandomMask(rng, w, h);
            int cx = rng.Next(w), cy = rng.Next(h);
            foreach (bool include in new[] { true, false })
            {
                double best = double.PositiveInfinity;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        if (m[x, y] == include) best = Math.Min(best, Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy)));
                if (!include) best = Math.Min(best, Math.Min(Math.Min(cx + 1, cy + 1), Math.Min(w - cx, h - cy)));
                Assert.Equal(best, ProgressiveMerge.EdgeDistance(m, cx, cy, include));
            }
        }
    }

    [Fact]
    public void MergingAgreesWithAPerPixelFloodFillOnRandomMasks()
    {
        var rng = new Random(20);
        for (int trial = 0; trial < 200; trial++)
        {
            int w = rng.Next(1, 24), h = rng.Next(1, 24);
            var previous = RandomMask(rng, w, h);
            var answer = RandomMask(rng, w, h);
            var click = new PointPrompt(rng.Next(w) + 0.5f, rng.Next(h) + 0.5f, rng.Next(2) == 0);
            Assert.Equal(FloodFillMerge(previous, answer, click), ProgressiveMerge.Merge(previous, answer, click).Data);
        }
    }

    [Fact]
    public void BadInputSaysWhatIsWrong()
    {
        var small = new Mask(4, 4);
        var e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, small, PointPrompt.Include(1, 1)));
        Assert.Contains("answer", e.Message);
        Assert.Contains("4x4", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(float.NaN, 1)));
        Assert.Contains("click", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { FromClick = 1 }));
        Assert.Contains("merge from click", e.Message);
        e = Assert.Throws<SegArgumentException>(() => new ClickChain(new ScriptedSession(12, 6, Readings(0, null, Previous)), settings: new ClickChainOptions { Merge = new ProgressiveMergeOptions { EdgeWindow = -1 } }));
        Assert.Contains("merge edge window", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { ConnectedOnly = false }));
        Assert.Contains("merge connected only", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { EdgeDepth = 2 }));
        Assert.Contains("merge edge depth", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { EdgeBand = 0.5 }));
        Assert.Contains("merge edge band", e.Message);
        Assert.Contains("0.5", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { EdgeBand = 4, EdgeWindow = 3 }));
        Assert.Contains("edge window", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ProgressiveMerge.Merge(Previous, Previous, PointPrompt.Include(1, 1), new ProgressiveMergeOptions { EdgeBand = 4, MinBand = 0 }));
        Assert.Contains("merge min band", e.Message);
    }

    [Fact]
    public void TheMergeAppliesFromTheClickItIsSetFor()
    {
        Assert.False(ProgressiveMergeOptions.Default.AppliesTo(2));
        var from3 = new ProgressiveMergeOptions { FromClick = 3 };
        Assert.False(from3.AppliesTo(1));
        Assert.False(from3.AppliesTo(2));
        Assert.True(from3.AppliesTo(3));
        Assert.True(from3.AppliesTo(20));
    }

    [Fact]
    public void AChainWithTheMergeKeepsDistantPartsAndFeedsTheMergedSelectionBack()
    {
        var first = MaskOf(
            "............",
            ".###....###.",
            ".###....###.",
            ".###....###.",
            "............",
            "............");
        // The answer to the second click (an include click at (2,5)) adds the region under it and drops the right block.
        var second = MaskOf(
            "............",
            ".###........",
            ".###........",
            ".###........",
            ".####.......",
            ".####.......");
        var clicks = new[] { PointPrompt.Include(2, 2), PointPrompt.Include(2, 5) };

        var plain = new ClickChain(new ScriptedSession(12, 6, Readings(0, null, first), Readings(0, null, second)));
        Assert.Equal(second.Data, plain.Predict(clicks).Mask.Data);

        var session = new ScriptedSession(12, 6, Readings(0, null, first), Readings(0, null, second), Readings(0, null, second));
        var chain = new ClickChain(session, settings: new ClickChainOptions { Merge = new ProgressiveMergeOptions { FromClick = 2 } });
        var r = chain.Predict(clicks);
        var expected = first.Union(MaskOf(
            "............",
            "............",
            "............",
            "............",
            ".####.......",
            ".####......."));
        Assert.Equal(expected.Data, r.Mask.Data);
        // What the next click feeds back says the right block is still selected: its low-res cells are positive.
        Assert.NotSame(r.Prediction.LowResLogits, r.LowResLogits);
        chain.Predict([.. clicks, PointPrompt.Exclude(11, 0)]);
        Assert.Same(r.LowResLogits, session.Requests[2].MaskInput);
        var t = SamTransform.For(12, 6);
        int u = (int)(9 * (double)t.ResizedWidth / 12 / 4), v = (int)(2 * (double)t.ResizedHeight / 6 / 4);
        Assert.True(r.LowResLogits.Data[v * 256 + u] > 0);

        // Set to merge only with colour fusion, a chain without it gives the answer as it is.
        var fusedOnly = new ClickChain(new ScriptedSession(12, 6, Readings(0, null, first), Readings(0, null, second)),
            settings: new ClickChainOptions { Merge = new ProgressiveMergeOptions { FromClick = 2, ColorFusionOnly = true } });
        Assert.Equal(second.Data, fusedOnly.Predict(clicks).Mask.Data);
        // So does a chain with the measured band merge (it is for chains with colour fusion).
        Assert.True(ClickChainOptions.EdgeBandMerge.ColorFusionOnly);
        Assert.Equal(second.Data, new ClickChain(new ScriptedSession(12, 6, Readings(0, null, first), Readings(0, null, second)),
            settings: new ClickChainOptions { Merge = ClickChainOptions.EdgeBandMerge }).Predict(clicks).Mask.Data);
        // The default chain merges with the band from click 2 on, with colour fusion only: without fusion (the first
        // chain above, default settings) the answer stands.
        Assert.Equal(ClickChainOptions.EdgeBandMerge, ClickChainOptions.Default.Merge);
        Assert.True(ClickChainOptions.Default.Merge.AppliesTo(2));

        // From click 3 on, the second click's answer still replaces the selection.
        var late = new ClickChain(new ScriptedSession(12, 6, Readings(0, null, first), Readings(0, null, second)), settings: new ClickChainOptions { Merge = new ProgressiveMergeOptions { FromClick = 3 } });
        Assert.Equal(second.Data, late.Predict(clicks).Mask.Data);
    }

    [Fact]
    public void TheEdgeBandKeepsALongStripAlongTheEdgeAndDropsWhatReachesFarther()
    {
        // A wide block; an include click two pixels below its bottom edge.
        var previous = MaskOf(
            "....................",
            "....................",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            "....................",
            "....................",
            "....................",
            "....................",
            "....................",
            "....................");
        // The answer adds a strip two rows high along the whole edge, a tongue reaching down from it, and a far blob.
        var answer = MaskOf(
            "....................",
            "....................",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            "####################",
            "####################",
            "........#####.......",
            "........#####.......",
            "###.....#####.......",
            "###.....#####.......");
        var click = PointPrompt.Include(10, 7);
        Assert.Equal(2.0, ProgressiveMerge.EdgeDistance(previous, 10, 7, include: true));
        // Band 2 x 2 = 4 pixels below the edge (rows 6-9): the whole strip and the tongue's top pass.
        var band = new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 2, MinBand = 1 };
        Assert.Equal(4.0, ProgressiveMerge.BandWidth(previous, 10, 7, include: true, band));
        var kept = MaskOf(
            "....................",
            "....................",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            "####################",
            "####################",
            "........#####.......",
            "........#####.......",
            "....................",
            "....................");
        Assert.Equal(kept.Data, ProgressiveMerge.Merge(previous, answer, click, band).Data);
        // Every change inside the band is the same here: the far blob lies beyond it.
        Assert.Equal(kept.Data, ProgressiveMerge.Merge(previous, answer, click, band with { ConnectedOnly = false }).Data);
        // The square window of the same reach (half side 4, columns 6-14) cuts the strip.
        var window = ProgressiveMerge.Merge(previous, answer, click, new ProgressiveMergeOptions { FromClick = 2, EdgeWindow = 2, MinWindow = 1 });
        Assert.False(window[2, 6]);
        Assert.True(window[6, 6]);
        // The least width applies when it is larger: 5 pixels reach row 10 of the tongue.
        var wider = ProgressiveMerge.Merge(previous, answer, click, band with { MinBand = 5 });
        Assert.True(wider[10, 10]);
        Assert.False(wider[10, 11]);
        Assert.False(wider[0, 10]);
    }

    [Fact]
    public void TheEdgeBandOfAnExcludeClickLiesInsideTheSelection()
    {
        var previous = MaskOf(
            "....................",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            "....................");
        // An exclude click two pixels inside the top edge; the answer removes a strip of three rows along it and a
        // plug reaching through the middle.
        var answer = MaskOf(
            "....................",
            "....................",
            "....................",
            "....................",
            ".#######.....######.",
            ".#######.....######.",
            ".#######.....######.",
            ".#######.....######.",
            ".##################.",
            ".##################.",
            ".##################.",
            "....................");
        var click = PointPrompt.Exclude(10, 2);
        var band = new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 2, MinBand = 1 };
        Assert.Equal(4.0, ProgressiveMerge.BandWidth(previous, 10, 2, include: false, band));
        // Within 4 pixels of an unselected pixel: the strip and the plug's first row; rows 5 and 6 of the plug are
        // farther (5 pixels from row 0 and row 11), so its row 7, near the bottom edge again, is not connected.
        var connected = MaskOf(
            "....................",
            "....................",
            "....................",
            "....................",
            ".#######.....######.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            ".##################.",
            "....................");
        Assert.Equal(connected.Data, ProgressiveMerge.Merge(previous, answer, click, band).Data);
        var everyChange = connected.Clone();
        for (int x = 8; x <= 12; x++) everyChange.Data[7 * 20 + x] = Mask.Off;
        Assert.Equal(everyChange.Data, ProgressiveMerge.Merge(previous, answer, click, band with { ConnectedOnly = false }).Data);
    }

    [Fact]
    public void WithTheEdgeBandADeepClickIsNotMerged()
    {
        // A 9x9 block (largest inner depth 5); the answer to each click drops the block's left half.
        var previous = new Mask(11, 11);
        var answer = new Mask(11, 11);
        for (int y = 1; y <= 9; y++)
            for (int x = 1; x <= 9; x++) { previous.Data[y * 11 + x] = Mask.On; answer.Data[y * 11 + x] = x >= 6 ? Mask.On : Mask.Off; }
        var options = new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 2, MinBand = 1, EdgeDepth = 0.25 };
        // Three pixels deep (3 > 0.25 x 5): the answer stands.
        Assert.Equal(answer.Data, ProgressiveMerge.Merge(previous, answer, PointPrompt.Exclude(3, 5), options).Data);
        // One pixel from the edge: only the band of 2 pixels along the edge goes, i.e. columns 1-2 of the left half.
        var near = ProgressiveMerge.Merge(previous, answer, PointPrompt.Exclude(1, 5), options);
        var expected = previous.Clone();
        for (int y = 1; y <= 9; y++) for (int x = 1; x <= 2; x++) expected.Data[y * 11 + x] = Mask.Off;
        for (int y = 1; y <= 9; y++) for (int x = 3; x <= 5; x++) if (y <= 2 || y >= 8) expected.Data[y * 11 + x] = Mask.Off;
        Assert.Equal(expected.Data, near.Data);
    }

    [Fact]
    public void TheEdgeBandAgreesWithABruteForceReferenceOnRandomMasks()
    {
        var rng = new Random(44);
        for (int trial = 0; trial < 300; trial++)
        {
            int w = rng.Next(1, 28), h = rng.Next(1, 28);
            var previous = RandomMask(rng, w, h);
            var answer = RandomMask(rng, w, h);
            var click = new PointPrompt(rng.Next(w) + 0.5f, rng.Next(h) + 0.5f, rng.Next(2) == 0);
            var options = new ProgressiveMergeOptions
            {
                FromClick = 2, EdgeBand = 1 + 4 * rng.NextDouble(), MinBand = rng.Next(1, 6), ConnectedOnly = rng.Next(2) == 0,
            };
            Assert.Equal(BandMergeReference(previous, answer, click, options), ProgressiveMerge.Merge(previous, answer, click, options).Data);
        }
    }

    private static Mask RandomMask(Random rng, int w, int h)
    {
        var m = new Mask(w, h);
        double p = rng.NextDouble();
        for (int i = 0; i < m.Data.Length; i++) if (rng.NextDouble() < p) m.Data[i] = Mask.On;
        return m;
    }

    /// <summary>
    /// The reference of the band: each pixel's distance to the nearest pixel of the other side (selected for an include
    /// click; unselected or the ring outside the image for an exclude click) by a search over every pixel, the band
    /// being the pixels within the options' factor times the click's distance, at least the least width.
    /// </summary>
    private static byte[] BandMergeReference(Mask previous, Mask answer, PointPrompt click, ProgressiveMergeOptions options)
    {
        int w = previous.Width, h = previous.Height;
        bool include = click.Positive;
        double Distance(int px, int py)
        {
            double best = double.PositiveInfinity;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (previous[x, y] == include) best = Math.Min(best, Math.Sqrt((double)(x - px) * (x - px) + (double)(y - py) * (y - py)));
            if (!include) best = Math.Min(best, Math.Min(Math.Min(px + 1, py + 1), Math.Min(w - px, h - py)));
            return best;
        }
        int cx = (int)click.X, cy = (int)click.Y;
        double d = Distance(cx, cy);
        double width = double.IsPositiveInfinity(d) ? d : Math.Max(options.MinBand, options.EdgeBand * d);
        bool InBand(int x, int y) => Distance(x, y) <= width;
        if (options.ConnectedOnly) return FloodFillMerge(previous, answer, click, InBand);
        var result = (byte[])previous.Data.Clone();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool changed = include ? answer[x, y] && !previous[x, y] : previous[x, y] && !answer[x, y];
                if (changed && previous[cx, cy] != answer[cx, cy] && previous[cx, cy] != include && InBand(x, y))
                    result[y * w + x] = include ? Mask.On : Mask.Off;
            }
        return result;
    }

    /// <summary>The reference: a per-pixel 8-connected flood fill over the pixels changed the click's way (and allowed).</summary>
    private static byte[] FloodFillMerge(Mask previous, Mask answer, PointPrompt click, Func<int, int, bool>? allowed = null)
    {
        int w = previous.Width, h = previous.Height;
        var result = (byte[])previous.Data.Clone();
        bool Changed(int x, int y) => (click.Positive
            ? answer[x, y] && !previous[x, y]
            : previous[x, y] && !answer[x, y]) && (allowed is null || allowed(x, y));
        int cx = (int)click.X, cy = (int)click.Y;
        if (!Changed(cx, cy)) return result;
        var seen = new bool[w * h];
        var stack = new Stack<(int X, int Y)>();
        stack.Push((cx, cy));
        seen[cy * w + cx] = true;
        while (stack.Count > 0)
        {
            var (x, y) = stack.Pop();
            result[y * w + x] = click.Positive ? Mask.On : Mask.Off;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h || seen[ny * w + nx] || !Changed(nx, ny)) continue;
                    seen[ny * w + nx] = true;
                    stack.Push((nx, ny));
                }
        }
        return result;
    }
}

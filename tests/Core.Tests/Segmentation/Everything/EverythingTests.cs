using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Core.Segmentation.Everything.Internal;
using SegPlugins.Core.Segmentation.Internal;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation.Everything;

/// <summary>Segment-everything with the real MobileSAM on the coffee photo (cheap grids: CI time matters).</summary>
[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class EverythingTests
{
    private readonly MobileSamFixture _f;
    private static readonly Lazy<BgraImage> Coffee = new(() => ImageIO.Load(TestPaths.Sample("coffee.jpg")));
    private static EverythingResult? _coffee12;

    public EverythingTests(MobileSamFixture f) => _f = f;

    private EverythingResult Coffee12 => _coffee12 ??= EverythingGenerator.Generate(_f.Session, Coffee.Value, new EverythingOptions { PointsPerSide = 12 });

    [Fact]
    public void MasksCoverTheCupAndSaucer()
    {
        var r = Coffee12;
        Assert.Equal(144, r.DecoderRuns);
        Assert.True(r.Masks.Count >= 3, $"only {r.Masks.Count} masks");
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "coffee-cup-saucer.png"));
        var union = new Mask(reference.Width, reference.Height);
        foreach (var m in r.Masks) union = union.Union(m.Mask);
        double covered = (double)union.Intersect(reference).Area() / reference.Area();
        Assert.True(covered > 0.9, $"union covers {covered:P1} of the cup and saucer");

        double best = r.Masks.Max(m => MaskMath.IoU(m.Mask, reference));
        if (best <= 0.8)
        {
            // Else a few masks lying (mostly) on the object must make it up together.
            var parts = r.Masks.Where(m => (double)m.Mask.Intersect(reference).Area() / m.Area > 0.9).OrderByDescending(m => m.Area).Take(4).ToList();
            var together = parts.Aggregate(new Mask(reference.Width, reference.Height), (a, m) => a.Union(m.Mask));
            double iou = MaskMath.IoU(together, reference);
            Assert.True(iou > 0.8, $"best single IoU {best:0.000}, {parts.Count} parts together {iou:0.000}");
        }
    }

    [Fact]
    public void BatchedDecoderRunsGiveTheSameMasksAsOnePromptAtATime()
    {
        var one = EverythingGenerator.Generate(_f.Session, Coffee.Value, new EverythingOptions { PointsPerSide = 12, PromptsPerRun = 1 });
        // 16 per run over 144 points: eight full batches and one of 16, plus a run with a short last batch (7).
        foreach (int perRun in new[] { 16, 7 })
        {
            var batched = EverythingGenerator.Generate(_f.Session, Coffee.Value, new EverythingOptions { PointsPerSide = 12, PromptsPerRun = perRun });
            Assert.True(_f.Session.Decoder.TakesBatches, "MobileSAM's decoder export should take a batch of prompts");
            Assert.Equal(one.DecoderRuns, batched.DecoderRuns);
            Assert.Equal(one.Masks.Count, batched.Masks.Count);
            for (int i = 0; i < one.Masks.Count; i++)
            {
                var (a, b) = (one.Masks[i], batched.Masks[i]);
                Assert.Equal(a.Point, b.Point);
                Assert.Equal(a.PredictedIou, b.PredictedIou, 1e-3);
                Assert.Equal(a.StabilityScore, b.StabilityScore, 1e-3);
                // The same network on the same numbers, summed in another order: at most a few edge pixels move.
                Assert.True(MaskMath.IoU(a.Mask, b.Mask) > 0.999, $"mask {i}: IoU {MaskMath.IoU(a.Mask, b.Mask):0.0000} with {perRun} per run");
            }
        }
    }

    [Fact]
    public void KeptMasksPassTheFiltersAndNms()
    {
        var r = Coffee12;
        var o = EverythingOptions.Default;
        for (int i = 0; i < r.Masks.Count; i++)
        {
            var m = r.Masks[i];
            Assert.True(m.PredictedIou > o.PredIouThreshold);
            Assert.True(m.StabilityScore >= o.StabilityScoreThreshold);
            Assert.Equal(m.Mask.Area(), m.Area);
            Assert.Equal(m.Mask.BoundingBox(), m.Box);
            if (i > 0) Assert.True(r.Masks[i - 1].Area >= m.Area, "largest first");
            for (int j = 0; j < i; j++)
            {
                float iou = BoxNms.Iou(m.Mask.BoundingBox()!.Value, r.Masks[j].Mask.BoundingBox()!.Value);
                Assert.True(iou <= o.BoxNmsThreshold, $"masks {j} and {i} have box IoU {iou:0.000}");
            }
        }
    }

    [Fact]
    public void LabelMapAndCocoOutputAgreeWithTheMasks()
    {
        var r = Coffee12;
        var labels = r.ToLabelMap();
        for (int p = 0; p < labels.Length; p += 7)
        {
            int l = labels[p];
            if (l == 0) Assert.All(r.Masks, m => Assert.Equal(0, m.Mask.Data[p]));
            else
            {
                Assert.NotEqual(0, r.Masks[l - 1].Mask.Data[p]);
                // No later (smaller) mask covers it, since later masks are painted on top.
                for (int k = l; k < r.Masks.Count; k++) Assert.Equal(0, r.Masks[k].Mask.Data[p]);
            }
        }
        using var doc = System.Text.Json.JsonDocument.Parse(r.ToCocoJson());
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(r.Masks.Count, items.Length);
        var first = CocoRle.FromJson(items[0].GetProperty("segmentation").GetRawText());
        Assert.Equal(r.Masks[0].Mask.Data, first.Data);
        Assert.Equal(r.Masks[0].Area, items[0].GetProperty("area").GetInt64());
    }

    [Fact]
    public void CropLayerMasksAreInImageCoordinates()
    {
        var r = EverythingGenerator.Generate(_f.Session, Coffee.Value, new EverythingOptions { PointsPerSide = 3, CropLayers = 1, MinRegionArea = 50 });
        Assert.Equal(9 * 5, r.DecoderRuns);
        Assert.NotEmpty(r.Masks);
        foreach (var m in r.Masks)
        {
            Assert.Equal(600, m.Mask.Width);
            Assert.Equal(400, m.Mask.Height);
            var b = m.Mask.BoundingBox()!.Value;
            // The mask lies in the crop it was found in.
            Assert.True(b.X >= m.CropBox.X && b.Right <= m.CropBox.Right && b.Y >= m.CropBox.Y && b.Bottom <= m.CropBox.Bottom, $"{b} outside {m.CropBox}");
            // Small-region cleanup: no island below 50 px remains.
            Assert.Equal(m.Mask.Data, m.Mask.RemoveIslands(50).Data);
        }
        Assert.Contains(r.Masks, m => m.CropBox.Width < 600);
    }
}

/// <summary>Pieces of the generator that need no model.</summary>
public class EverythingPartsTests
{
    [Fact]
    public void StabilityEqualsNaiveCountOverValidCells()
    {
        var rng = new Random(9);
        var logits = Enumerable.Range(0, 256 * 256).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        foreach (var (w, h) in new[] { (256, 256), (256, 161), (100, 256), (1, 1) })
        {
            long hi = 0, lo = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float v = logits[y * 256 + x];
                    if (v > 1) hi++;
                    if (v > -1) lo++;
                }
            Assert.Equal(lo == 0 ? 0f : (float)hi / lo, LowResStats.Stability(logits, 256, w, h, 1f));
        }
        Assert.Equal(0f, LowResStats.Stability(new float[256 * 256].Select(_ => -5f).ToArray(), 256, 256, 256, 1f));
        Assert.Equal(1f, LowResStats.Stability(new float[256 * 256].Select(_ => 5f).ToArray(), 256, 256, 256, 1f));
    }

    [Fact]
    public void CropBoxesOverlapAndCoverTheImage()
    {
        var boxes = EverythingGenerator.CropBoxes(600, 400, 1, 512f / 1500f);
        Assert.Equal(5, boxes.Count);
        Assert.Equal((new PixelRect(0, 0, 600, 400), 0), boxes[0]);
        // overlap = int(0.3413 * 400 * 1) = 136; crop width ceil((600 + 136) / 2) = 368, height ceil(536 / 2) = 268.
        Assert.Equal(new PixelRect(0, 0, 368, 268), boxes[1].Box);
        Assert.Equal(new PixelRect(232, 132, 368, 268), boxes[4].Box);
        Assert.All(boxes.Skip(1), b => Assert.Equal(1, b.Layer));
    }

    [Fact]
    public void OptionsAreValidated()
    {
        Assert.Equal(16, EverythingOptions.Cpu.PointsPerSide);
        Assert.Equal(32, EverythingOptions.Default.PointsPerSide);
        Assert.Contains("points per side", Assert.Throws<SegArgumentException>(() => new EverythingOptions { PointsPerSide = 0 }).Message);
        Assert.Throws<SegArgumentException>(() => new EverythingOptions { PredIouThreshold = 2 });
        Assert.Throws<SegArgumentException>(() => new EverythingOptions { CropLayers = 5 });
        Assert.Throws<SegArgumentException>(() => new EverythingOptions { MinRegionArea = -1 });
    }

    [Fact]
    public void NmsDropsOverlapsAboveTheThresholdInOrder()
    {
        EverythingMask M(int x, int y, int w, int h) => new(new Mask(1, 1), new PixelRect(x, y, w, h), 1, 1, 1, default, default);
        var list = new List<EverythingMask> { M(0, 0, 10, 10), M(0, 0, 10, 8), M(1, 0, 10, 10), M(50, 50, 5, 5) };
        // IoUs with the first: 0.8, 90/110 = 0.818; the last is apart.
        Assert.Equal(2, EverythingGenerator.Nms(list, 0.7f).Count);
        Assert.Equal(4, EverythingGenerator.Nms(list, 0.85f).Count);
    }
}

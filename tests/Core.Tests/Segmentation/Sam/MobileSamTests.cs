using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation.Sam;

/// <summary>The engine with the real MobileSAM weights, on the committed sample photos and reviewed reference masks.</summary>
[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class MobileSamTests
{
    private readonly MobileSamFixture _f;
    private static readonly Lazy<BgraImage> Coffee = new(() => ImageIO.Load(TestPaths.Sample("coffee.jpg")));

    public MobileSamTests(MobileSamFixture f) => _f = f;

    private SamImageEmbedding CoffeeEmbedding => _f.Session.Embed(Coffee.Value);

    [Fact]
    public void BoxOnClearObjectMatchesReviewedReference()
    {
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "coffee-cup-saucer.png"));
        var p = _f.Session.Predict(CoffeeEmbedding, PromptSet.FromBox(new BoxXyxy(70, 12, 485, 398)));
        Assert.Equal(600, p.Mask.Width);
        Assert.Equal(400, p.Mask.Height);
        double iou = MaskMath.IoU(p.Mask, reference);
        Assert.True(iou >= 0.9, $"box IoU {iou:0.000} < 0.9");
    }

    [Fact]
    public void ClickOnCatMatchesReviewedReference()
    {
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        var p = _f.Session.Predict(_f.ChelseaEmbedding, PromptSet.FromPoints(PointPrompt.Include(200, 150)));
        double iou = MaskMath.IoU(p.Mask, reference);
        Assert.True(iou >= 0.95, $"click IoU {iou:0.000} < 0.95");
    }

    [Fact]
    public void NegativePointRemovesTheRegionItMarks()
    {
        // The spoon is part of the cup-and-saucer selection; an exclude click on it must take it out.
        var box = new BoxXyxy(70, 12, 485, 398);
        var before = _f.Session.Predict(CoffeeEmbedding, PromptSet.FromBox(box));
        Assert.True(MaskMath.CoverageAround(before.Mask, 362, 290, 8) > 0.9, "spoon not selected to begin with");
        var after = _f.Session.Predict(CoffeeEmbedding, new PromptSet { Box = box, Points = [PointPrompt.Exclude(362, 290)] });
        Assert.True(MaskMath.CoverageAround(after.Mask, 362, 290, 8) < 0.1, "spoon still selected after the exclude click");
        Assert.True(after.Mask.Area() < before.Mask.Area());
        // The cup itself stays selected.
        Assert.True(MaskMath.CoverageAround(after.Mask, 290, 150, 10) > 0.9);
    }

    [Fact]
    public void RefinementWithPreviousLogitsGrowsTowardsTheNewPoint()
    {
        // A click on the spoon selects the spoon alone; an include click on the saucer, with the spoon's logits
        // fed back, must bring the saucer in and keep the spoon.
        var first = _f.Session.Predict(CoffeeEmbedding, PromptSet.FromPoints(PointPrompt.Include(362, 290)));
        Assert.True(first.Mask.Area() < 0.05 * 600 * 400, $"first click selected {first.Mask.Area()} px, expected the spoon alone");
        double saucerBefore = MaskMath.CoverageAround(first.Mask, 130, 250, 10);
        Assert.True(saucerBefore < 0.1);
        var refined = _f.Session.Predict(CoffeeEmbedding, new PromptSet
        {
            Points = [PointPrompt.Include(362, 290), PointPrompt.Include(130, 250)],
            MaskInput = first.LowResLogits,
        });
        Assert.True(MaskMath.CoverageAround(refined.Mask, 130, 250, 10) > 0.9, "saucer not selected after refinement");
        Assert.True(MaskMath.CoverageAround(refined.Mask, 362, 290, 5) > 0.9, "the first click's region was lost");
        Assert.True(refined.Mask.Area() > 5 * first.Mask.Area());
        // The fed-back logits take part: the same clicks without them give different logits.
        var noFeedback = _f.Session.Predict(CoffeeEmbedding, PromptSet.FromPoints(PointPrompt.Include(362, 290), PointPrompt.Include(130, 250)));
        Assert.NotEqual(noFeedback.LowResLogits.Data, refined.LowResLogits.Data);
    }

    [Fact]
    public void ExcludeRefinementShrinksTheMask()
    {
        var first = _f.Session.Predict(CoffeeEmbedding, PromptSet.FromPoints(PointPrompt.Include(300, 200)));
        var refined = _f.Session.Predict(CoffeeEmbedding, new PromptSet
        {
            Points = [PointPrompt.Include(300, 200), PointPrompt.Exclude(362, 290)],
            MaskInput = first.LowResLogits,
        });
        Assert.True(refined.Mask.Area() < first.Mask.Area());
        Assert.True(MaskMath.CoverageAround(refined.Mask, 362, 290, 6) < MaskMath.CoverageAround(first.Mask, 362, 290, 6));
    }

    [Fact]
    public void OutputsHaveTheDocumentedShapesAndAgree()
    {
        var p = _f.Session.Predict(_f.ChelseaEmbedding, PromptSet.FromPoints(PointPrompt.Include(200, 150)));
        Assert.Equal(256, p.LowResLogits.Width);
        Assert.Equal(256, p.LowResLogits.Height);
        Assert.Equal(4, p.Proposals.Count); // the single-mask export's four internal masks, exposed
        var logits = p.Logits;
        Assert.Equal(451, logits.Width);
        Assert.Equal(300, logits.Height);
        // The fast mask path equals thresholding the full logits.
        Assert.Equal(logits.ToMask(0).Data, p.Mask.Data);
    }

    public static TheoryData<int> PromptKinds => new() { 0, 1, 2, 3 };

    private static PromptSet PromptOfKind(int kind) => kind switch
    {
        0 => PromptSet.FromPoints(PointPrompt.Include(362, 290)),                                       // one click
        1 => PromptSet.FromBox(new BoxXyxy(70, 12, 485, 398)),                                          // box alone
        2 => PromptSet.FromPoints(PointPrompt.Include(362, 290), PointPrompt.Include(130, 250)),        // two clicks
        _ => new PromptSet { Box = new BoxXyxy(70, 12, 485, 398), Points = [PointPrompt.Exclude(362, 290)] }, // box + click
    };

    [Theory]
    [MemberData(nameof(PromptKinds))]
    public void ExposedMasksReproduceTheSingleMaskExportsChoice(int kind)
    {
        // The same file opened as published (one mask out) must return exactly the mask our default choice picks.
        using var plain = SamDecoder.Open(_f.Session.Decoder.Path, "plain decoder", new Core.Inference.EngineOptions { Device = Core.Inference.ExecutionDevice.Cpu });
        Assert.Equal(1, plain.MaskCount);
        var e = CoffeeEmbedding;
        var prompt = PromptOfKind(kind);
        SamSession.BuildPromptTensors(prompt, e.Transform, out var coords, out var labels);
        var single = plain.Run(e.Data, coords, labels, null, 600, 400, false, default);
        var ours = _f.Session.Predict(e, prompt);
        Assert.Equal(4, ours.Proposals.Count);
        Assert.Equal(kind < 2 ? ours.Proposals.Skip(1).MaxBy(p => p.Score)!.Index : 0, ours.Chosen.Index);
        Assert.Equal(single.Scores[0], ours.Score, 5);
        var a = single.LowRes[0];
        var b = ours.LowResLogits.Data;
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-4f, $"logit {i}: {b[i]} vs {a[i]}");
    }

    /// <summary>
    /// Without the full-size masks the decoder is told a 64x64 image (their size is all it changes, and ONNX Runtime
    /// computes them anyway); the low-res logits and scores must be those of a run told the real size.
    /// </summary>
    [Fact]
    public void LowResOutputsDoNotDependOnTheImageSizeGivenToTheDecoder()
    {
        var e = _f.ChelseaEmbedding;
        var prompt = PromptSet.FromPoints(PointPrompt.Include(200, 150), PointPrompt.Exclude(300, 60));
        SamSession.BuildPromptTensors(prompt, e.Transform, out var coords, out var labels);
        using var plain = SamDecoder.Open(_f.Session.Decoder.Path, "plain decoder", new Core.Inference.EngineOptions { Device = Core.Inference.ExecutionDevice.Cpu });
        var told = plain.Run(e.Data, coords, labels, null, 451, 300, inGraphUpscale: true, default);
        var small = plain.Run(e.Data, coords, labels, null, 451, 300, inGraphUpscale: false, default);
        Assert.NotNull(told.FullMasks);
        Assert.Equal(451, told.FullWidth);
        Assert.Null(small.FullMasks);
        Assert.Equal(told.Scores, small.Scores);
        Assert.Equal(told.LowRes.Length, small.LowRes.Length);
        for (int k = 0; k < told.LowRes.Length; k++) Assert.Equal(told.LowRes[k], small.LowRes[k]);
    }

    /// <summary>Every proposal's hard mask, as the correction guard reads it, equals its upscaled logits thresholded at 0.</summary>
    [Fact]
    public void ProposalMasksEqualTheirThresholdedLogits()
    {
        var prompt = PromptSet.FromPoints(PointPrompt.Include(200, 150), PointPrompt.Exclude(300, 60));
        var p = _f.Session.Predict(_f.ChelseaEmbedding, prompt);
        Assert.True(p.Proposals.Count > 1);
        foreach (var q in p.Proposals)
        {
            var expected = q == p.Chosen ? p.Mask : p.UpscaleLogits(q).ToMask(0f);
            var actual = p.MaskOf(q);
            Assert.Equal(expected.Width, actual.Width);
            Assert.True(expected.Data.AsSpan().SequenceEqual(actual.Data), $"proposal {q.Index}");
            Assert.True(actual.Area() > 0, $"proposal {q.Index} is empty");
        }
    }

    [Fact]
    public void CpuUpscalingMatchesTheDecodersOwnMasksOutput()
    {
        var e = _f.ChelseaEmbedding;
        var prompt = PromptSet.FromPoints(PointPrompt.Include(200, 150));
        SamSession.BuildPromptTensors(prompt, e.Transform, out var coords, out var labels);
        using var plain = SamDecoder.Open(_f.Session.Decoder.Path, "plain decoder", new Core.Inference.EngineOptions { Device = Core.Inference.ExecutionDevice.Cpu });
        var r = plain.Run(e.Data, coords, labels, null, 451, 300, inGraphUpscale: true, default);
        Assert.NotNull(r.FullMasks);
        var ours = SamSession.UpscaleLogits(new MaskProposal(0, r.Scores[0], new LogitMap(256, 256, r.LowRes[0])), e.Transform);
        float maxDiff = 0;
        int signFlips = 0;
        for (int i = 0; i < ours.Data.Length; i++)
        {
            float a = ours.Data[i], b = r.FullMasks![0][i];
            maxDiff = Math.Max(maxDiff, Math.Abs(a - b));
            if ((a > 0) != (b > 0) && Math.Abs(a - b) > 0) signFlips++;
        }
        Assert.True(maxDiff < 1e-3f, $"max |ours - in-graph| = {maxDiff}");
        Assert.True(signFlips <= 2, $"{signFlips} pixels differ in the hard mask");
    }

    [Fact]
    public void CachedSetImageReusesTheEmbedding()
    {
        var a = _f.Session.Embed(_f.Chelsea);
        var b = _f.Session.Embed(_f.Chelsea.Clone());
        Assert.Same(a, b);
        _f.Session.SetImage(_f.Chelsea);
        Assert.Same(a, _f.Session.CurrentEmbedding);
    }

    [Fact]
    public void SidecarEmbeddingIsReusedAndIgnoredForAnotherImage()
    {
        using var dir = new TempDir();
        string sidecar = dir.File("chelsea.png.segemb");
        var fresh = Core.Segmentation.Sam.EmbeddingFile.TryLoad(sidecar, _f.Session.ModelKey, _f.ChelseaEmbedding.ImageHash);
        Assert.Null(fresh);
        Core.Segmentation.Sam.EmbeddingFile.Save(_f.ChelseaEmbedding, sidecar);
        var loaded = Core.Segmentation.Sam.EmbeddingFile.TryLoad(sidecar, _f.Session.ModelKey, _f.ChelseaEmbedding.ImageHash);
        Assert.NotNull(loaded);
        Assert.Equal(_f.ChelseaEmbedding.Data, loaded!.Data);
        Assert.Equal(_f.ChelseaEmbedding.Transform, loaded.Transform);
        Assert.Null(Core.Segmentation.Sam.EmbeddingFile.TryLoad(sidecar, _f.Session.ModelKey, _f.ChelseaEmbedding.ImageHash + 1));
        Assert.Null(Core.Segmentation.Sam.EmbeddingFile.TryLoad(sidecar, "another-encoder", _f.ChelseaEmbedding.ImageHash));
    }

    [Fact]
    public void PredictionsAreDeterministicAcrossThreads()
    {
        var prompt = PromptSet.FromPoints(PointPrompt.Include(200, 150), PointPrompt.Exclude(420, 60));
        var serial = _f.Session.Predict(_f.ChelseaEmbedding, prompt).Mask.Data;
        var results = new byte[8][];
        Parallel.For(0, 8, i => results[i] = _f.Session.Predict(_f.ChelseaEmbedding, prompt).Mask.Data);
        foreach (var r in results) Assert.Equal(serial, r);
    }
}

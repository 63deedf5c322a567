using SegPlugins.Core;
using SegPlugins.Core.Tests.Support;
using Xunit;
using SegPlugins.Evaluation;
using SegPlugins.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Editing;

namespace SegPlugins.Evaluation.Tests;

public class RunnerTests
{
    /// <summary>Three images with one square object each; the fake model paints disks of radius 5 around clicks.</summary>
    private static TempDataset SquaresDataset()
    {
        var d = new TempDataset();
        d.Add("s1", 60, 40, 10, 10, 21, 21);   // 12x12
        d.Add("s2", 60, 40, 30, 5, 49, 30);    // 20x26
        d.Add("s3", 50, 50, 20, 20, 27, 27);   // 8x8: one disk of radius 5 at (23,23) scores 63/66
        return d;
    }

    [Fact]
    public void EndToEndWiringWithADeterministicFakeModel()
    {
        using var d = SquaresDataset();
        var ds = SegmentationDataset.Open(d.Root);
        var session = new DiskSession(5);
        // Every strategy but the two with colour fusion, which changes the fake's answers (checked below on its own).
        var strategies = ClickStrategies.All(new ZoomInOptions { MinCropSize = 16 }).Where(s => s.Name is not ("fused" or "colors")).ToArray();
        var options = new EvaluationOptions { Strategies = strategies };
        var progress = new List<EvaluationProgress>();
        // A saliency map with no subject: the subject-guided strategy falls back to the plain click, like the others.
        var runner = new EvaluationRunner(session, img => session.ForImage(img), options, (img, _) => new LogitMap(img.Width, img.Height));
        var result = runner.Run(ds, new SyncProgress<EvaluationProgress>(progress.Add));

        Assert.Equal(3, result.Images.Count);
        Assert.Equal([1, 2, 3], progress.Select(p => p.Done));
        Assert.Equal(3, session.SetImageCalls);
        Assert.Equal(strategies.Select(s => s.Name), result.StrategyNames);

        // The fake box prediction is the box itself: the tight box covers exactly the object, and the colour
        // refinement inside the box keeps it (the red object stands out from the gradient).
        Assert.All(result.Images, i => Assert.Equal(1.0, i.TightBoxIoU!.Value, 12));

        foreach (var img in result.Images)
        {
            var sample = ds.Load(ds.Entries.ToList().FindIndex(e => e.Name == img.Name));
            foreach (var s in img.Strategies)
            {
                Assert.Equal(20, s.IoUs.Length);
                // A disk of radius 5 at the object centre: IoU of the first click checked independently.
                var first = s.Clicks[0];
                Assert.True(first.Positive);
                var disk = FakeSegmentation.Disk(img.Width, img.Height, first.X, first.Y, 5);
                Assert.Equal(SegmentationMetrics.IoU(sample.GroundTruth, disk), s.IoUs[0], 12);
                Assert.Equal(SegmentationMetrics.NumberOfClicks(s.IoUs, 0.90, 20), s.Noc90);
            }
            // The fake ignores mask input, and zoom-in only changes the frame: every strategy must agree.
            for (int k = 1; k < img.Strategies.Count; k++)
                Assert.Equal(img.Strategies[0].IoUs, img.Strategies[k].IoUs);
        }
        // s3 is nearly covered by one disk: reached at click 1.
        Assert.Equal(1, result.Images[2].Strategies[0].Noc90);
        // Disks never fit the rectangles s1 and s2 well enough: they count as the full budget, and as failures.
        Assert.Equal(20, result.Images[0].Strategies[0].Noc90);
        Assert.Equal(20, result.Images[1].Strategies[0].Noc90);
        Assert.True(result.Images[1].Strategies[0].IoUs.Max() > result.Images[1].Strategies[0].IoUs[0]); // clicks help on the way

        var report = EvaluationReport.FromResult(result);
        Assert.Equal(strategies.Length, report.Strategies.Count);
        Assert.Equal(2, report.Primary!.Nof90);
        Assert.Equal((1 + 20 + 20) / 3.0, report.Primary.Noc90, 12);
        Assert.Equal(1.0, report.TightBoxMiou!.Value, 12);
        // Zoom-in opened views on crops and disposed them.
        Assert.NotEmpty(session.Views);
        Assert.All(session.Views, v => Assert.True(v.Disposed));
    }

    [Fact]
    public void FusedStrategyRefinesTheFakesDisksWithTheImagesColours()
    {
        using var d = SquaresDataset();
        var ds = SegmentationDataset.Open(d.Root);
        var session = new DiskSession(5);
        // No subject in the saliency map: the fused strategy reads the click plainly and then refines it (with the
        // small-object gate's size condition alone; its saliency condition would send every click on a map without a
        // subject to the plain engine, as the default fused strategy below shows).
        var sizeGateOnly = new ClickChainOptions { SmallObject = new SmallObjectGateOptions { Measure = SmallObjectMeasure.GuidedShare, Below = 0.01 } };
        var options = new EvaluationOptions
        {
            Mode = EvaluationMode.Clicks,
            Strategies = [ClickStrategies.Create(ClickStrategyKind.FeedbackLogits), ClickStrategies.Create(ClickStrategyKind.Fused, chain: sizeGateOnly), ClickStrategies.Create(ClickStrategyKind.Colors)],
        };
        var byDefault = new EvaluationRunner(session, img => session.ForImage(img), options with { Strategies = [ClickStrategies.Create(ClickStrategyKind.Fused)] },
            (img, _) => new LogitMap(img.Width, img.Height)).Run(ds);
        var runner = new EvaluationRunner(session, img => session.ForImage(img), options, (img, _) => new LogitMap(img.Width, img.Height));
        var result = runner.Run(ds);
        foreach (var img in result.Images)
        {
            double plain = img.Strategies[0].IoUs[0], fused = img.Strategies[1].IoUs[0], colors = img.Strategies[2].IoUs[0];
            Assert.True(fused >= plain, $"{img.Name}: fused {fused:0.000}, plain {plain:0.000}");
            Assert.True(colors >= plain, $"{img.Name}: colors {colors:0.000}, plain {plain:0.000}");
        }
        for (int i = 0; i < result.Images.Count; i++)
            Assert.Equal(result.Images[i].Strategies[0].IoUs, byDefault.Images[i].Strategies[0].IoUs);
        Assert.NotEqual(result.Images[0].Strategies[0].IoUs, result.Images[0].Strategies[1].IoUs);
        // The 12x12 square: the disk of radius 5 grows to the red square at the first click, with or without the prior.
        foreach (int s in new[] { 1, 2 })
        {
            Assert.True(result.Images[0].Strategies[s].IoUs[0] >= 0.95, $"{result.Images[0].Strategies[s].Strategy}: {result.Images[0].Strategies[s].IoUs[0]:0.000}");
            Assert.Equal(1, result.Images[0].Strategies[s].Noc90);
        }
    }

    [Fact]
    public void FeedbackStrategiesPassPreviousLogitsAndAllClicksDoesNot()
    {
        using var d = SquaresDataset();
        var ds = SegmentationDataset.Open(d.Root);
        foreach (var (kind, expectFeedback) in new[] { (ClickStrategyKind.AllClicks, false), (ClickStrategyKind.FeedbackLogits, true) })
        {
            var session = new DiskSession(3);
            var runner = new EvaluationRunner(session, null, new EvaluationOptions
            {
                Mode = EvaluationMode.Clicks,
                Strategies = [ClickStrategies.Create(kind)],
                MaxClicks = 5,
                Limit = 1,
            });
            var result = runner.Run(ds);
            Assert.Single(result.Images);
            Assert.Null(result.Images[0].BoxIoU);
            Assert.Equal(5, session.Requests.Count);
            Assert.Null(session.Requests[0].MaskInput);
            for (int i = 1; i < 5; i++)
            {
                Assert.Equal(expectFeedback, session.Requests[i].MaskInput is not null);
                Assert.Equal(i + 1, session.Requests[i].Points.Count);
            }
        }
    }

    [Fact]
    public void RunIsDeterministic()
    {
        using var d = SquaresDataset();
        var ds = SegmentationDataset.Open(d.Root);
        EvaluationResult Once()
        {
            var s = new DiskSession(4);
            return new EvaluationRunner(s, img => s.ForImage(img), new EvaluationOptions { Strategies = ClickStrategies.All() }, FakeSegmentation.ObjectSaliency).Run(ds);
        }
        var a = Once();
        var b = Once();
        for (int i = 0; i < a.Images.Count; i++)
            for (int s = 0; s < a.Images[i].Strategies.Count; s++)
            {
                Assert.Equal(a.Images[i].Strategies[s].IoUs, b.Images[i].Strategies[s].IoUs);
                Assert.Equal(a.Images[i].Strategies[s].Clicks, b.Images[i].Strategies[s].Clicks);
            }
    }

    [Fact]
    public void ZoomInWithoutViewsIsAClearError()
    {
        var s = new DiskSession(4);
        var e = Assert.Throws<SegArgumentException>(() => ClickStrategies.Create(ClickStrategyKind.ZoomIn)
            .Begin(new ClickEpisodeContext(s, new BgraImage(10, 10), null)));
        Assert.Contains("zoom-in", e.Message);
    }

    [Fact]
    public void ZoomInPredictsInACropAndMapsTheMaskBack()
    {
        var image = new BgraImage(200, 100);
        var s = new DiskSession(6);
        s.SetImage(image);
        using var episode = ClickStrategies.Create(ClickStrategyKind.ZoomIn, new ZoomInOptions { FromClick = 1, MinCropSize = 40, GrowOnEdge = false })
            .Begin(new ClickEpisodeContext(s, image, img => s.ForImage(img)));
        var mask = episode.Predict([new PointPrompt(150, 30)]);
        // First a full-image prediction to place the crop, then one in the crop.
        Assert.Single(s.Requests);
        var view = Assert.Single(s.Views);
        // The mask and click are 13 px across: the crop is the 40 px minimum, not the 200x100 image.
        Assert.Equal((40, 40), (view.ImageWidth, view.ImageHeight));
        var inCrop = Assert.Single(view.Requests).Points[0];
        Assert.InRange(inCrop.X, 6, 34);
        Assert.InRange(inCrop.Y, 6, 34);
        Assert.Equal(FakeSegmentation.Disk(200, 100, 150, 30, 6).Data, mask.Data);
        // The crop prediction got the full-image logits carried into its frame.
        Assert.NotNull(view.Requests[0].MaskInput);
    }

    [Fact]
    public void EmbeddingsAreKeptOnDiskAndReadBackByTheNextRun()
    {
        using var d = SquaresDataset();
        using var cache = new TempDir();
        var ds = SegmentationDataset.Open(d.Root);
        var options = new EvaluationOptions { Mode = EvaluationMode.Clicks, MaxClicks = 2, EmbeddingCacheDirectory = cache.Path };
        SamSession Open() => SamSession.Open(TestPaths.Fixture("models", "sam_encoder_input_output.onnx"), TestPaths.Fixture("models", "sam_decoder_single.onnx"),
            new EngineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });

        EvaluationResult first;
        string[] files;
        using (var s = Open())
        {
            first = new EvaluationRunner(s, null, options).Run(ds);
            files = Enumerable.Range(0, ds.Count).Select(i => EmbeddingFile.CachePath(cache.Path, s.ModelKey, SamImageEmbedding.HashImage(ds.Load(i).Image))).ToArray();
        }
        Assert.Equal(files.Order(), Directory.GetFiles(cache.Path).Order());

        // A new session reads the files: an embedding changed on disk changes the answers, the others stay.
        var bytes = File.ReadAllBytes(files[1]);
        int header = bytes.Length - SamTensorNames.EmbeddingLength * sizeof(float);
        for (int i = header; i < bytes.Length; i += 4) BitConverter.TryWriteBytes(bytes.AsSpan(i), -3f);
        File.WriteAllBytes(files[1], bytes);
        using (var s = Open())
        {
            var second = new EvaluationRunner(s, null, options).Run(ds);
            Assert.Equal(first.Images[0].Strategies[0].IoUs, second.Images[0].Strategies[0].IoUs);
            Assert.Equal(first.Images[2].Strategies[0].IoUs, second.Images[2].Strategies[0].IoUs);
            Assert.NotEqual(first.Images[1].Strategies[0].IoUs, second.Images[1].Strategies[0].IoUs);
        }
    }

    [Fact]
    public void CropEmbeddingsAreKeptInTheCacheToo()
    {
        using var d = SquaresDataset();
        using var cache = new TempDir();
        var ds = SegmentationDataset.Open(d.Root);
        // Box prompts in a crop 1.5x the box (at least 16 pixels): every image opens one view on a crop.
        var options = new EvaluationOptions { Mode = EvaluationMode.Box, EmbeddingCacheDirectory = cache.Path, Box = new BoxPromptOptions { ZoomExpansion = 1.5, MinCropSize = 16 } };
        using var s = SamSession.Open(TestPaths.Fixture("models", "sam_encoder_input_output.onnx"), TestPaths.Fixture("models", "sam_decoder_single.onnx"),
            new EngineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });
        var first = new EvaluationRunner(s, img => s.ForImage(img), options).Run(ds);
        // One file per image and one per crop, each under its own content.
        Assert.Equal(2 * ds.Count, Directory.GetFiles(cache.Path).Length);

        // A new session reads every crop's embedding back instead of encoding it again (which would write the file).
        var past = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        foreach (var f in Directory.GetFiles(cache.Path)) File.SetLastWriteTimeUtc(f, past);
        using var again = SamSession.Open(TestPaths.Fixture("models", "sam_encoder_input_output.onnx"), TestPaths.Fixture("models", "sam_decoder_single.onnx"),
            new EngineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });
        var second = new EvaluationRunner(again, img => again.ForImage(img), options).Run(ds);
        Assert.All(Directory.GetFiles(cache.Path), f => Assert.Equal(past, File.GetLastWriteTimeUtc(f)));
        Assert.Equal(first.Images.Select(i => i.TightBoxIoU), second.Images.Select(i => i.TightBoxIoU));
    }

    [Fact]
    public void CachePathsDependOnEncoderAndImage()
    {
        var a = EmbeddingFile.CachePath("/c", "manifest:abc", 1);
        Assert.Equal(a, EmbeddingFile.CachePath("/c", "manifest:abc", 1));
        Assert.NotEqual(a, EmbeddingFile.CachePath("/c", "manifest:abd", 1));
        Assert.NotEqual(a, EmbeddingFile.CachePath("/c", "manifest:abc", 2));
        Assert.EndsWith("-00000000000000000000000000000001.segemb", a);
        Assert.Equal("/c", Path.GetDirectoryName(a));
    }

    [Fact]
    public void EveryNthSampleIsAFixedSubset()
    {
        using var d = SquaresDataset();
        var ds = SegmentationDataset.Open(d.Root);
        var result = new EvaluationRunner(new DiskSession(5), null, new EvaluationOptions { Mode = EvaluationMode.Box, Every = 2 }).Run(ds);
        Assert.Equal(["s1", "s3"], result.Images.Select(i => i.Name));
        Assert.Equal(2, new EvaluationOptions { Every = 2 }.SampleCount(3));
        Assert.Equal(1, new EvaluationOptions { Every = 2, Limit = 1 }.SampleCount(3));
        Assert.Equal(158, new EvaluationOptions { Every = 3 }.SampleCount(474));
        Assert.Throws<SegArgumentException>(() => new EvaluationRunner(new DiskSession(5), null, new EvaluationOptions { Every = 0 }));
        var e = Assert.Throws<SegArgumentException>(() => new EvaluationRunner(new DiskSession(5), null, new EvaluationOptions { EmbeddingCacheDirectory = "/tmp/x" }));
        Assert.Equal("embedding cache", e.Parameter);
    }

    [Fact]
    public void RunnerRejectsBadOptions()
    {
        var s = new DiskSession(4);
        Assert.Throws<SegArgumentException>(() => new EvaluationRunner(s, null, new EvaluationOptions { MaxClicks = 0 }));
        Assert.Throws<SegArgumentException>(() => new EvaluationRunner(s, null, new EvaluationOptions { Limit = 0 }));
        Assert.Throws<SegArgumentException>(() => new EvaluationRunner(s, null, new EvaluationOptions { Strategies = [] }));
        Assert.Throws<SegArgumentException>(() => new EvaluationRunner(s, null, new EvaluationOptions { Box = new BoxPromptOptions { ZoomExpansion = 1.5 } }));
        Assert.Throws<SegArgumentException>(() => ClickStrategies.Parse("magic"));
        Assert.Equal(ClickStrategyKind.ZoomIn, ClickStrategies.Parse("Zoom_In"));
        Assert.Equal(ClickStrategyKind.Colors, ClickStrategies.Parse("colors"));
    }

    [Fact]
    public void ResampleBetweenFramesKeepsContentInPlace()
    {
        // Logits of a 512x256 image (model scale 2): positive on image columns 100-199.
        var whole = new CropFrame(0, 0, 512, 256);
        var logits = new LogitMap(256, 256);
        for (int v = 0; v < 256; v++)
            for (int u = 0; u < 256; u++)
            {
                double x = (u + 0.5) * 4 / 2.0; // image x of the cell centre
                logits.Data[v * 256 + u] = v < 128 && x >= 100 && x < 200 ? 10f : -10f;
            }
        // A 128x128 crop at (80,50): scale 8, so image x 100-199 is crop x 20-99 -> low-res cells 40-199.
        var crop = new CropFrame(80, 50, 128, 128);
        var r = CropFrame.Resample(logits, whole, crop, -20f);
        Assert.True(r[100, 100] > 0);   // crop x 50
        Assert.True(r[30, 100] < 0);    // crop x 15 -> image x 95
        Assert.True(r[220, 100] > 0);   // crop x 110 -> image x 190
        Assert.True(r[250, 100] < 0);   // crop x 125 -> image x 205
        // Same frame: identity.
        var same = CropFrame.Resample(logits, whole, whole, -20f);
        for (int v = 0; v < 128; v++)
            for (int u = 0; u < 256; u++)
                Assert.Equal(logits[u, v], same[u, v], 3);
        // The padding of a non-square frame gets the outside value.
        Assert.Equal(-20f, same[100, 200]);
    }
}

/// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

using BenchmarkDotNet.Attributes;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Refinement.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Benchmarks;

/// <summary>
/// Where a click's time goes, stage by stage, with the real MobileSAM model (from the model cache; fetched on first
/// use) on samples/chelsea.png scaled (nearest) to 1 MP and 12 MP, one click at (0.5, 0.55) of the image as
/// <c>segplug bench</c> times it: the decoder run, the hard mask from the low-res logits (upscaling and threshold
/// fused), the mask's bounds, the full-size logits the colour refinement reads, the colour refinement, and the
/// engine's whole <c>Predict</c>; and a correction click in the default colour-fused <c>ClickChain</c>.
/// Run: dotnet run -c Release -- --job short --filter '*ClickBenchmarks*' (or: dotnet run -c Release -- quick ClickBenchmarks)
/// </summary>
[MemoryDiagnoser]
public class ClickBenchmarks
{
    [Params("1mp", "12mp")]
    public string Size { get; set; } = "12mp";

    private SamSession _session = null!;
    private SamImageEmbedding _embedding = null!;
    private BgraImage _image = null!;
    private PromptSet _prompt = null!;
    private float[] _coords = null!, _labels = null!;
    private MaskPrediction _prediction = null!;
    private LogitMap _logits = null!;
    private ClickChain _chain = null!;
    private PointPrompt[] _clicksA = null!, _clicksB = null!;
    private bool _flip, _flipRefine;
    private (LogitMap Logits, PointPrompt[] Clicks)[] _answers = null!;
    private readonly ColorCutReuse _reuse = new();

    [GlobalSetup]
    public void Setup()
    {
        _session = SamSession.OpenAsync().GetAwaiter().GetResult();
        var sample = ImageIO.Load(SamplePath());
        var (w, h) = Size == "1mp" ? (1155, 866) : (4000, 3000);
        _image = ScaleNearest(sample, w, h);
        _embedding = _session.Embed(_image);
        _prompt = PromptSet.FromPoints(new PointPrompt(w * 0.5f, h * 0.55f));
        SamSession.BuildPromptTensors(_prompt, _embedding.Transform, out _coords, out _labels);
        _prediction = _session.Predict(_embedding, _prompt);
        _logits = _prediction.Logits;
        // A user's correction click in the default (colour-fused) chain: the first click stays, the second alternates
        // between two places, so each call answers one new click.
        _session.SetImage(_image);
        _chain = new ClickChain(_session, fusion: new ColorFusion(_image));
        var first = new PointPrompt(w * 0.5f, h * 0.55f);
        _clicksA = [first, new PointPrompt(w * 0.3f, h * 0.3f, false)];
        _clicksB = [first, new PointPrompt(w * 0.7f, h * 0.6f)];
        _chain.Predict(_clicksA);
        var a = _session.Predict(_embedding, new PromptSet { Points = _clicksA });
        var b = _session.Predict(_embedding, new PromptSet { Points = _clicksB });
        _answers = [(a.Logits, _clicksA), (b.Logits, _clicksB)];
    }

    [GlobalCleanup]
    public void Cleanup() => _session.Dispose();

    /// <summary>The engine's click: decoder run, proposal choice, hard mask at the image size.</summary>
    [Benchmark] public Mask Predict() => _session.Predict(_embedding, _prompt).Mask;

    /// <summary>The decoder run alone (four proposals' low-res logits and scores).</summary>
    [Benchmark] public object DecoderRun()
    {
        var t = _embedding.Transform;
        return _session.Decoder.Run(_embedding.Data, _coords, _labels, null, t.SourceWidth, t.SourceHeight, inGraphUpscale: false, default);
    }

    /// <summary>Low-res logits to the hard mask at the image size (upscaling and threshold fused, inside the mask's region).</summary>
    [Benchmark] public byte[] UpscaleThreshold()
    {
        var t = _embedding.Transform;
        return LogitUpscaler.MaskFromLowRes(_prediction.Chosen.LowResLogits.Data, t.ResizedWidth, t.ResizedHeight, t.SourceWidth, t.SourceHeight, 0f);
    }

    /// <summary>The bounds of the hard mask.</summary>
    [Benchmark] public PixelRect? Bounds() => _prediction.Mask.BoundingBox();

    /// <summary>Full-size float logits, which the colour refinement reads (48 MB at 12 MP).</summary>
    [Benchmark] public LogitMap FullLogits() => _prediction.UpscaleLogits(_prediction.Chosen);

    /// <summary>Colour refinement of the answer, as <c>segplug select</c> runs it after a click (logits given).</summary>
    [Benchmark] public Mask ColorRefine() =>
        ColorRefiner.Refine(_image, _logits, new ColorRefineInput { Clicks = _prompt.Points });

    /// <summary>Colour refinement of two answers in turn (two clicks' logits), each cut built from nothing.</summary>
    [Benchmark] public Mask ColorRefineTwoAnswers()
    {
        var (l, c) = _answers[(_flipRefine = !_flipRefine) ? 1 : 0];
        return ColorRefiner.Refine(_image, l, new ColorRefineInput { Clicks = c });
    }

    /// <summary>The same, each cut starting from the previous one's graph, as a click chain runs it when the working region stays.</summary>
    [Benchmark] public Mask ColorRefineTwoAnswersReusing()
    {
        var (l, c) = _answers[(_flipRefine = !_flipRefine) ? 1 : 0];
        return ColorRefiner.RefineReusing(_image, l, new ColorRefineInput { Clicks = c }, null, _reuse, default);
    }

    /// <summary>
    /// One correction click as the default chain answers it (decoder run with the previous answer fed back,
    /// correction guard, colour refinement, feedback for the next click): what a user waits for after clicking.
    /// </summary>
    [Benchmark] public Mask FusedCorrectionClick()
    {
        _flip = !_flip;
        return _chain.Predict(_flip ? _clicksB : _clicksA).Mask;
    }

    internal static string SamplePath()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "samples", "chelsea.png");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("samples/chelsea.png not found above " + AppContext.BaseDirectory);
    }

    private static BgraImage ScaleNearest(BgraImage src, int w, int h)
    {
        var dst = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
        {
            var s = src.RowUInt32(Math.Min(src.Height - 1, (int)((long)y * src.Height / h)));
            var d = dst.RowUInt32(y);
            for (int x = 0; x < w; x++) d[x] = s[Math.Min(src.Width - 1, (int)((long)x * src.Width / w))];
        }
        return dst;
    }
}

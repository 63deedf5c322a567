using System.Text.Json;
using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Fixtures;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation.Sam;

/// <summary>
/// The engine end to end (image in, masks out) on the generated fixture models, which have the published SAM
/// tensor contracts, against the numpy/PIL reference of tests/fixtures/models/reference_pipeline.py.
/// Every encoder variant meets every decoder variant.
/// </summary>
public class SamConformanceTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("models", "expected.json"))).RootElement;

    private static string F(string relative) => TestPaths.Fixture(relative.Split('/'));

    public static TheoryData<string> Encoders => new() { "sam_encoder_input_output.onnx", "sam_encoder_image_embeddings.onnx", "sam_encoder_preprocess.onnx" };

    public static TheoryData<string, string> EncoderImages()
    {
        var d = new TheoryData<string, string>();
        foreach (var e in new[] { "sam_encoder_input_output.onnx", "sam_encoder_image_embeddings.onnx", "sam_encoder_preprocess.onnx" })
            foreach (var im in Expected.GetProperty("images").EnumerateArray())
                d.Add(e, im.GetProperty("name").GetString()!);
        return d;
    }

    private static JsonElement ImageEntry(string name) =>
        Expected.GetProperty("images").EnumerateArray().First(i => i.GetProperty("name").GetString() == name);

    private static SamSession Open(string encoder, string decoder) =>
        SamSession.Open(F("models/" + encoder), F("models/" + decoder), new EngineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1 });

    [Theory]
    [MemberData(nameof(EncoderImages))]
    public void ResizeMatchesPillowExactly(string encoder, string image)
    {
        _ = encoder;
        var im = ImageEntry(image);
        var src = ImageIO.Load(F(im.GetProperty("image").GetString()!));
        var t = SamTransform.For(src.Width, src.Height);
        Assert.Equal(im.GetProperty("resized_width").GetInt32(), t.ResizedWidth);
        Assert.Equal(im.GetProperty("resized_height").GetInt32(), t.ResizedHeight);
        var ours = SamPreprocessor.ResizeToRgb(src, t);
        var reference = ImageIO.Load(F(im.GetProperty("resized").GetString()!));
        int mismatches = 0;
        for (int y = 0; y < t.ResizedHeight; y++)
        {
            var row = reference.Row(y);
            for (int x = 0; x < t.ResizedWidth; x++)
                for (int c = 0; c < 3; c++)
                    if (ours[(y * t.ResizedWidth + x) * 3 + c] != row[4 * x + 2 - c]) mismatches++;
        }
        Assert.Equal(0, mismatches);
    }

    [Theory]
    [MemberData(nameof(EncoderImages))]
    public void EmbeddingMatchesReference(string encoder, string image)
    {
        var im = ImageEntry(image);
        using var s = Open(encoder, "sam_decoder_single.onnx");
        var e = s.Embed(ImageIO.Load(F(im.GetProperty("image").GetString()!)));
        var pooled = Npy.Load(F(im.GetProperty("pooled").GetString()!)).Data; // channels 0-2
        for (int i = 0; i < pooled.Length; i++)
            Assert.True(Math.Abs(pooled[i] - e.Data[i]) <= 1e-4f * (1 + Math.Abs(pooled[i])), $"channel {i / 4096} at {i % 4096}: {e.Data[i]} vs {pooled[i]}");
        var channels = Expected.GetProperty("embedding_sample_channels").EnumerateArray().Select(c => c.GetInt32()).ToArray();
        var sample = Npy.Load(F(im.GetProperty("embedding_sample").GetString()!)).Data;
        for (int k = 0; k < channels.Length; k++)
            for (int i = 0; i < 4096; i++)
            {
                float want = sample[k * 4096 + i], got = e.Data[channels[k] * 4096 + i];
                Assert.True(Math.Abs(want - got) <= 1e-4f * (1 + Math.Abs(want)), $"channel {channels[k]}: {got} vs {want}");
            }
    }

    public static TheoryData<string, string, string, int> Predictions()
    {
        var d = new TheoryData<string, string, string, int>();
        foreach (var e in new[] { "sam_encoder_input_output.onnx", "sam_encoder_preprocess.onnx" })
            foreach (var im in Expected.GetProperty("images").EnumerateArray())
                foreach (var p in im.GetProperty("predictions").EnumerateArray())
                    d.Add(e, im.GetProperty("name").GetString()!, p.GetProperty("prompt").GetString()!, p.GetProperty("k").GetInt32());
        return d;
    }

    private static PromptSet Prompt(JsonElement p)
    {
        var points = new List<PointPrompt>();
        var labels = p.GetProperty("labels").EnumerateArray().Select(l => l.GetInt32()).ToArray();
        int i = 0;
        foreach (var pt in p.GetProperty("points").EnumerateArray())
        {
            var xy = pt.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            points.Add(new PointPrompt(xy[0], xy[1], labels[i++] == 1));
        }
        BoxXyxy? box = null;
        if (p.GetProperty("box").ValueKind == JsonValueKind.Array)
        {
            var b = p.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            box = new BoxXyxy(b[0], b[1], b[2], b[3]);
        }
        return new PromptSet { Points = points, Box = box };
    }

    [Theory]
    [MemberData(nameof(Predictions))]
    public void PredictionMatchesReference(string encoder, string image, string prompt, int k)
    {
        var im = ImageEntry(image);
        var p = im.GetProperty("predictions").EnumerateArray().First(x => x.GetProperty("prompt").GetString() == prompt && x.GetProperty("k").GetInt32() == k);
        using var s = Open(encoder, k == 1 ? "sam_decoder_single.onnx" : "sam_decoder_multi.onnx");
        var src = ImageIO.Load(F(im.GetProperty("image").GetString()!));
        s.SetImage(src);
        var prompts = Prompt(p);

        // The decoder inputs: points mapped to the 1024 frame, padding point or box corners, labels.
        SamSession.BuildPromptTensors(prompts, s.CurrentEmbedding!.Transform, out var coords, out var labels);
        var wantCoords = p.GetProperty("point_coords_1024").EnumerateArray().SelectMany(c => c.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        Assert.Equal(wantCoords.Length, coords.Length);
        for (int i = 0; i < coords.Length; i++) Assert.Equal(wantCoords[i], coords[i], 3);
        Assert.Equal(p.GetProperty("point_labels").EnumerateArray().Select(v => v.GetSingle()).ToArray(), labels);

        if (p.GetProperty("mask_input_from").ValueKind == JsonValueKind.String)
        {
            // The reference feeds back the highest-scoring low-res mask of the earlier prediction.
            var earlierPrompt = Prompt(im.GetProperty("predictions").EnumerateArray().First(x => x.GetProperty("prompt").GetString() == p.GetProperty("mask_input_from").GetString() && x.GetProperty("k").GetInt32() == k));
            var earlier = s.Predict(earlierPrompt);
            var best = earlier.Proposals.OrderByDescending(x => x.Score).First();
            prompts = prompts with { MaskInput = best.LowResLogits };
        }

        var r = s.Predict(prompts);
        var scores = p.GetProperty("iou_predictions").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(k, r.Proposals.Count);
        Assert.Equal(k, s.DecoderMaskCount);
        for (int i = 0; i < k; i++) Assert.Equal(scores[i], r.Proposals[i].Score, 5);
        // The official single-mask export's choice.
        int expectedChoice = k == 1 ? 0 : labels.Length <= 2 ? 1 + Array.IndexOf(scores[1..], scores[1..].Max()) : 0;
        Assert.Equal(expectedChoice, r.Chosen.Index);

        var lowSample = Npy.Load(F(p.GetProperty("low_res_sample").GetString()!));
        for (int m = 0; m < k; m++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    float want = lowSample.Data[(m * 32 + y) * 32 + x], got = r.Proposals[m].LowResLogits[x * 8, y * 8];
                    Assert.True(Math.Abs(want - got) <= 1e-4f * (1 + Math.Abs(want)), $"low-res mask {m} at ({x * 8},{y * 8}): {got} vs {want}");
                }

        int w = src.Width, h = src.Height;
        if (p.TryGetProperty("masks", out var masksFile))
        {
            var masks = Npy.Load(F(masksFile.GetString()!));
            for (int m = 0; m < k; m++)
            {
                var logits = r.UpscaleLogits(r.Proposals[m]);
                for (int i = 0; i < w * h; i++)
                {
                    float want = masks.Data[m * w * h + i];
                    Assert.True(Math.Abs(want - logits.Data[i]) <= 2e-4f * (1 + Math.Abs(want)), $"mask {m} pixel {i}: {logits.Data[i]} vs {want}");
                }
            }
            AssertHardMask(masks.Data.AsSpan(r.Chosen.Index * w * h, w * h), r.Mask);
        }
        else
        {
            int step = p.GetProperty("masks_sample_step").GetInt32();
            var sample = Npy.Load(F(p.GetProperty("masks_sample").GetString()!));
            int sh = sample.Shape[1], sw = sample.Shape[2];
            for (int m = 0; m < k; m++)
            {
                var logits = r.UpscaleLogits(r.Proposals[m]);
                for (int y = 0; y < sh; y++)
                    for (int x = 0; x < sw; x++)
                    {
                        float want = sample.Data[(m * sh + y) * sw + x], got = logits[x * step, y * step];
                        Assert.True(Math.Abs(want - got) <= 2e-4f * (1 + Math.Abs(want)), $"mask {m} at ({x * step},{y * step}): {got} vs {want}");
                    }
            }
            var pngs = p.GetProperty("masks_binary_png").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var reference = MaskMath.LoadMask(F(pngs[r.Chosen.Index]));
            Assert.True(MaskMath.IoU(reference, r.Mask) > 0.999, $"hard mask IoU {MaskMath.IoU(reference, r.Mask)}");
        }
    }

    private static void AssertHardMask(ReadOnlySpan<float> logits, Mask mask)
    {
        int differ = 0;
        for (int i = 0; i < logits.Length; i++)
            if ((logits[i] > 0) != (mask.Data[i] != 0) && Math.Abs(logits[i]) > 1e-4f) differ++;
        Assert.Equal(0, differ);
    }

    [Fact]
    public void DecoderKindIsReadFromMetadata()
    {
        using var single = Open("sam_encoder_input_output.onnx", "sam_decoder_single.onnx");
        using var multi = Open("sam_encoder_image_embeddings.onnx", "sam_decoder_multi.onnx");
        Assert.Equal(1, single.DecoderMaskCount);
        Assert.Equal(4, multi.DecoderMaskCount);
        Assert.Equal(SamEncoder.InputLayout.NormalizedNchw, single.EncoderLayout);
        using var pre = Open("sam_encoder_preprocess.onnx", "sam_decoder_single.onnx");
        Assert.Equal(SamEncoder.InputLayout.RgbHwc, pre.EncoderLayout);
    }

    [Fact]
    public void WrongContractsGetClearErrors()
    {
        var e1 = Assert.Throws<SegModelException>(() => Open("wrong_io.onnx", "sam_decoder_single.onnx"));
        Assert.Contains("'foo'", e1.Message);
        Assert.Contains("[1,3,224,224]", e1.Message);
        Assert.Contains("wrong_io.onnx", e1.Message);
        var e2 = Assert.Throws<SegModelException>(() => Open("sam_encoder_input_output.onnx", "decoder_missing_output.onnx"));
        Assert.Contains("has no output 'low_res_masks'", e2.Message);
        Assert.Contains("decoder_missing_output.onnx", e2.Message);
        var e3 = Assert.Throws<SegModelException>(() => Open("sam_encoder_input_output.onnx", "wrong_io.onnx"));
        Assert.Contains("has no input 'image_embeddings'", e3.Message);
    }

    [Fact]
    public void MultiMaskChoiceCanBeOverridden()
    {
        using var s = Open("sam_encoder_input_output.onnx", "sam_decoder_multi.onnx");
        s.SetImage(ImageIO.Load(F("images/grad_97x61.png")));
        var two = PromptSet.FromPoints(PointPrompt.Include(30, 20), PointPrompt.Include(60, 40));
        Assert.Equal(0, s.Predict(two).Chosen.Index);
        var best = s.Predict(two, new PredictOptions { Choice = MaskChoice.BestProposal });
        Assert.Equal(best.Proposals.Skip(1).MaxBy(p => p.Score)!.Index, best.Chosen.Index);
        Assert.Equal(4, best.Proposals.Count);
    }

    [Fact]
    public void PredictBeforeSetImageIsAClearError()
    {
        using var s = Open("sam_encoder_input_output.onnx", "sam_decoder_single.onnx");
        var e = Assert.Throws<SegArgumentException>(() => s.Predict(PromptSet.FromPoints(PointPrompt.Include(1, 1))));
        Assert.Contains("SetImage", e.Message);
    }

    [Fact]
    public void EmbeddingCacheStaysWithinItsBudget()
    {
        using var s = SamSession.Open(F("models/sam_encoder_input_output.onnx"), F("models/sam_decoder_single.onnx"),
            new EngineOptions { Device = ExecutionDevice.Cpu, EmbeddingCacheBytes = 3 * 4 * 256 * 64 * 64 });
        var img = ImageIO.Load(F("images/grad_97x61.png"));
        var first = s.Embed(img);
        for (int i = 0; i < 5; i++)
        {
            var copy = img.Clone();
            copy.Pixels[i * 4] ^= 0xFF;
            s.Embed(copy);
            Assert.True(s.Cache.Bytes <= s.Cache.BudgetBytes);
        }
        Assert.Equal(3, s.Cache.Count);
        Assert.NotSame(first, s.Embed(img)); // evicted, recomputed
    }
}

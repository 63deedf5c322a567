using SegPlugins.Core.Geometry;
using Onnx;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Segmentation.Sam;

/// <summary>The int8 MobileSAM encoder made from the real float32 one (needs the model in the cache, fetched on first use).</summary>
[Collection(MobileSamCollection.Name)]
[Trait("Category", "NeedsModels")]
public sealed class MobileSamInt8Tests
{
    private readonly MobileSamFixture _f;

    public MobileSamInt8Tests(MobileSamFixture f) => _f = f;

    [Fact]
    public async Task Int8EncoderStaysCloseToFloatAndSelectsTheSameObjects()
    {
        using var int8 = await SamSession.OpenAsync(ModelIds.MobileSam, new EngineOptions { Device = ExecutionDevice.Cpu, Precision = ModelPrecision.Int8 });
        Assert.StartsWith("int8:", int8.ModelKey);
        Assert.NotEqual(_f.Session.ModelKey, int8.ModelKey);

        // Embedding: relative L2 error measured 0.014 on a synthetic input (7-bit weights); 0.05 leaves room for photos.
        var a = _f.ChelseaEmbedding.Data;
        var b = int8.Embed(_f.Chelsea).Data;
        double err = 0, norm = 0;
        for (int i = 0; i < a.Length; i++) { err += (a[i] - b[i]) * (a[i] - b[i]); norm += a[i] * a[i]; }
        double rel = Math.Sqrt(err / norm);
        Assert.True(rel < 0.05, $"int8 embedding differs from float32 by {rel:0.000} (relative L2)");

        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        var p = int8.Predict(int8.Embed(_f.Chelsea), PromptSet.FromPoints(PointPrompt.Include(200, 150)));
        Assert.True(MaskMath.IoU(p.Mask, reference) >= 0.95, $"int8 click IoU {MaskMath.IoU(p.Mask, reference):0.000} < 0.95");

        var coffee = ImageIO.Load(TestPaths.Sample("coffee.jpg"));
        var cup = MaskMath.LoadMask(TestPaths.Fixture("reference", "coffee-cup-saucer.png"));
        var box = int8.Predict(int8.Embed(coffee), PromptSet.FromBox(new BoxXyxy(70, 12, 485, 398)));
        Assert.True(MaskMath.IoU(box.Mask, cup) >= 0.9, $"int8 box IoU {MaskMath.IoU(box.Mask, cup):0.000} < 0.9");
    }

    [Fact]
    public async Task Int8DecoderAnswersClicksAndBoxesLikeTheFloatOne()
    {
        using var int8 = await SamSession.OpenAsync(ModelIds.MobileSam, new EngineOptions { Device = ExecutionDevice.Cpu, DecoderPrecision = ModelPrecision.Int8 });
        // The embedding is the float32 encoder's: its key, and so the caches of embeddings, stay the same.
        Assert.Equal(_f.Session.ModelKey, int8.ModelKey);
        var prompt = PromptSet.FromPoints(PointPrompt.Include(200, 150));
        var fp = _f.Session.Predict(_f.ChelseaEmbedding, prompt);
        var q = int8.Predict(_f.ChelseaEmbedding, prompt);
        // The proposals come from taps inside the graph; the rewrite keeps them.
        Assert.Equal(fp.Proposals.Count, q.Proposals.Count);
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        Assert.True(MaskMath.IoU(q.Mask, reference) >= 0.95, $"int8 decoder click IoU {MaskMath.IoU(q.Mask, reference):0.000} < 0.95");
        Assert.True(MaskMath.IoU(q.Mask, fp.Mask) >= 0.97, $"int8 and float32 decoders differ: IoU {MaskMath.IoU(q.Mask, fp.Mask):0.000}");
        Assert.True(Math.Abs(q.Score - fp.Score) < 0.05, $"predicted IoU {q.Score:0.000} against {fp.Score:0.000}");

        var coffee = ImageIO.Load(TestPaths.Sample("coffee.jpg"));
        var cup = MaskMath.LoadMask(TestPaths.Fixture("reference", "coffee-cup-saucer.png"));
        var box = int8.Predict(int8.Embed(coffee), PromptSet.FromBox(new BoxXyxy(70, 12, 485, 398)));
        Assert.True(MaskMath.IoU(box.Mask, cup) >= 0.9, $"int8 decoder box IoU {MaskMath.IoU(box.Mask, cup):0.000} < 0.9");

        var store = ModelStore.CreateDefault();
        var files = await store.EnsureAsync(ModelIds.MobileSam);
        string sha = files.Entry.File(ModelRole.Decoder).Sha256 ?? throw new InvalidOperationException("the manifest pins the decoder's hash");
        var cached = new QuantizedModelCache(store.CacheDirectory);
        string path = cached.PathFor(files.PathOf(ModelRole.Decoder), sha);
        Assert.True(cached.Verify(path, sha).Ok, path);
    }

    [Fact]
    public async Task RealEncoderIsRewrittenAndRecorded()
    {
        var store = ModelStore.CreateDefault();
        var files = await store.EnsureAsync(ModelIds.MobileSam);
        string dir = Path.Combine(Path.GetTempPath(), "segplug-int8-real-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var made = new QuantizedModelCache(dir).Ensure(files.PathOf(ModelRole.Encoder), "mobilesam encoder");
            Assert.Equal(files.Entry.File(ModelRole.Encoder).Sha256, made.Record.SourceSha256);
            // The 40 weight products of TinyViT's attention and MLP layers; the 20 attention products of two activations stay float32.
            Assert.Equal(40, made.Record.QuantizedMatMuls);
            Assert.Equal(20, made.Record.FloatMatMuls);
            var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(made.Path)).Graph;
            Assert.Equal(40, graph.Node.Count(n => n.OpType == Int8Quantizer.QuantizedOp));
            Assert.True(made.Record.Bytes < new FileInfo(files.PathOf(ModelRole.Encoder)).Length * 0.6);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}

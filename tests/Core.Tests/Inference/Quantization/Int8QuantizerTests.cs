using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference.Quantization;

/// <summary>The int8 quantizer and its model cache on the small generated fixture models.</summary>
public sealed class Int8QuantizerTests : IDisposable
{
    // The fixtures' weight matrices are tiny (3x8, 3x1000); the default threshold would leave them in float32.
    private static readonly Int8QuantizerOptions AllWeights = new() { MinWeightElements = 0 };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "segplug-int8-" + Guid.NewGuid().ToString("N")[..8]);

    public Int8QuantizerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Model(string name) => TestPaths.Fixture("models", name);

    [Fact]
    public void WeightsAreSymmetricPerColumnAndWithinHalfAStep()
    {
        var rnd = new Random(7);
        int k = 13, n = 5;
        var w = new float[k * n];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(rnd.NextDouble() * 2 - 1) * (1 + i % n); // columns of different ranges
        var (q, scales) = Int8Quantizer.QuantizeWeights(w, k, n, new Int8QuantizerOptions());
        Assert.Equal(n, scales.Length);
        for (int c = 0; c < n; c++)
        {
            float max = 0;
            for (int r = 0; r < k; r++) max = Math.Max(max, Math.Abs(w[r * n + c]));
            Assert.Equal(max / 63, scales[c], 6); // 7-bit weights: qmax 63
            for (int r = 0; r < k; r++)
            {
                Assert.InRange(q[r * n + c], -63, 63);
                Assert.True(Math.Abs(q[r * n + c] * scales[c] - w[r * n + c]) <= scales[c] / 2 + 1e-6, $"w[{r},{c}]");
            }
        }
        var (_, one) = Int8Quantizer.QuantizeWeights(w, k, n, new Int8QuantizerOptions { PerChannel = false, WeightBits = 8 });
        Assert.Equal(w.Max(Math.Abs) / 127, Assert.Single(one), 6);
    }

    [Theory]
    [InlineData("wrong_io.onnx", 0.02)]
    [InlineData("clip_image_tiny.onnx", 0.02)]
    public void QuantizedFixtureUsesIntegerProductsAndStaysCloseToFloat(string file, double tolerance)
    {
        var result = Int8Quantizer.Quantize(File.ReadAllBytes(Model(file)), file, AllWeights);
        Assert.Equal(1, result.QuantizedMatMuls);
        var graph = ModelProto.Parser.ParseFrom(result.Model).Graph;
        Assert.Contains(graph.Node, n => n.OpType == Int8Quantizer.QuantizedOp && n.Domain == Int8Quantizer.MicrosoftDomain);
        Assert.DoesNotContain(graph.Node, n => n.OpType == "MatMul");
        Assert.Contains(graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int8);

        using var fp32 = new InferenceSession(Model(file));
        using var int8 = new InferenceSession(result.Model);
        var (name, meta) = fp32.InputMetadata.Single();
        var shape = meta.Dimensions.Select(d => d > 0 ? d : 1).ToArray();
        var rnd = new Random(3);
        for (int trial = 0; trial < 3; trial++)
        {
            var input = new DenseTensor<float>(shape);
            for (int i = 0; i < input.Length; i++) input.SetValue(i, (float)(rnd.NextDouble() * 255));
            var a = Run(fp32, name, input);
            var b = Run(int8, name, input);
            Assert.Equal(a.Length, b.Length);
            double range = a.Max() - a.Min(), worst = 0;
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
            Assert.True(range > 0, "fixture output is constant");
            Assert.True(worst <= tolerance * range, $"{file}: largest difference {worst:g4} exceeds {tolerance:P0} of the output range {range:g4}");
        }
    }

    private static float[] Run(InferenceSession s, string name, DenseTensor<float> input)
    {
        using var r = s.Run([NamedOnnxValue.CreateFromTensor(name, input)]);
        return r.First().AsTensor<float>().ToArray();
    }

    [Fact]
    public void CacheWritesModelAndRecordAndReusesThem()
    {
        var cache = new QuantizedModelCache(_dir, AllWeights);
        var notices = new List<string>();
        var made = cache.Ensure(Model("wrong_io.onnx"), "wrong io", null, notices.Add);
        Assert.Single(notices);
        Assert.Contains("making the int8 model", notices[0]);
        Assert.StartsWith(Path.Combine(_dir, QuantizedModelCache.Folder), made.Path);
        var r = made.Record;
        Assert.Equal(ModelStoreSha(Model("wrong_io.onnx")), r.SourceSha256);
        Assert.Equal(ModelStoreSha(made.Path), r.Sha256);
        Assert.Equal(new FileInfo(made.Path).Length, r.Bytes);
        Assert.Equal((7, true, 1), (r.WeightBits, r.PerChannel, r.QuantizedMatMuls));
        Assert.Contains("Int8Quantizer", r.Tool);
        Assert.True(File.Exists(QuantizedModelCache.RecordPathOf(made.Path)));

        var stamp = File.GetLastWriteTimeUtc(made.Path);
        var again = cache.Ensure(Model("wrong_io.onnx"), "wrong io", null, notices.Add);
        Assert.Single(notices); // nothing made the second time
        Assert.Equal(made.Path, again.Path);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(made.Path));
        Assert.Equal(r.Sha256, again.Record.Sha256);
    }

    [Fact]
    public void CorruptInt8FileIsDetectedAndMadeAgain()
    {
        var cache = new QuantizedModelCache(_dir, AllWeights);
        var made = cache.Ensure(Model("wrong_io.onnx"), "wrong io");
        var bytes = File.ReadAllBytes(made.Path);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(made.Path, bytes);

        var (ok, detail) = cache.Verify(made.Path, made.Record.SourceSha256);
        Assert.False(ok);
        Assert.Contains("corrupt", detail);

        var notices = new List<string>();
        var again = cache.Ensure(Model("wrong_io.onnx"), "wrong io", null, notices.Add);
        Assert.Contains(notices, m => m.Contains("not usable") && m.Contains("corrupt"));
        Assert.True(cache.Verify(again.Path, again.Record.SourceSha256).Ok);
        Assert.Equal(made.Record.Sha256, again.Record.Sha256); // deterministic output
    }

    [Fact]
    public void RecordOfOtherSettingsOrSourceIsNotTrusted()
    {
        var made = new QuantizedModelCache(_dir, AllWeights).Ensure(Model("wrong_io.onnx"), "wrong io");
        var eightBit = new QuantizedModelCache(_dir, AllWeights with { WeightBits = 8 });
        var (ok, detail) = eightBit.Verify(made.Path, made.Record.SourceSha256);
        Assert.False(ok);
        Assert.Contains("other settings", detail);
        Assert.False(new QuantizedModelCache(_dir, AllWeights).Verify(made.Path, new string('0', 64)).Ok);
        File.Delete(QuantizedModelCache.RecordPathOf(made.Path));
        Assert.Contains("record", new QuantizedModelCache(_dir, AllWeights).Verify(made.Path, made.Record.SourceSha256).Detail);
    }

    [Fact]
    public void ModelWithoutWeightProductsIsRefusedWithItsPath()
    {
        // The fixture encoders are pooling and a convolution: nothing for the int8 path to rewrite.
        var encoder = Model("sam_encoder_input_output.onnx");
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(encoder, Model("sam_decoder_single.onnx"),
            new EngineOptions { Device = ExecutionDevice.Cpu, Precision = ModelPrecision.Int8 }));
        Assert.Contains(encoder, e.Message);
        Assert.Contains("nothing to quantize", e.Message);
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var e = Assert.Throws<SegModelException>(() => Int8Quantizer.Quantize("not an onnx model at all"u8, "junk"));
        Assert.Contains("junk", e.Message);
        var twice = Int8Quantizer.Quantize(File.ReadAllBytes(Model("wrong_io.onnx")), "w", AllWeights).Model;
        var again = Assert.Throws<SegModelException>(() => Int8Quantizer.Quantize(twice, "w", AllWeights));
        Assert.Contains("already quantized", again.Message);
        var p = Assert.Throws<SegArgumentException>(() => ModelPrecisions.Parse("int4"));
        Assert.Contains("--precision", p.Message);
        Assert.Contains("fp32 or int8", p.Message);
        Assert.Equal(ModelPrecision.Int8, ModelPrecisions.Parse(" INT8 "));
    }

    private static string ModelStoreSha(string path) => ModelStore.Sha256Of(path, CancellationToken.None);
}

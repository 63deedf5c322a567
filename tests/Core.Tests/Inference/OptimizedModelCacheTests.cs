using Xunit;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Inference;

/// <summary>ONNX Runtime's optimised models kept in a cache folder, on the small generated SAM decoder.</summary>
public sealed class OptimizedModelCacheTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "segplug-ortcache-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private EngineOptions Options(bool cache) =>
        new() { Device = ExecutionDevice.Cpu, IntraOpThreads = 1, CacheOptimizedModels = cache, OptimizedModelFolder = _folder };

    private static SamDecoder.Result Run(EngineOptions options)
    {
        using var d = SamDecoder.Open(TestPaths.Fixture("models", "sam_decoder_single.onnx"), "decoder", options);
        var rng = new Random(3);
        var embedding = new float[SamTensorNames.EmbeddingLength];
        for (int i = 0; i < embedding.Length; i++) embedding[i] = (float)(rng.NextDouble() * 2 - 1);
        return d.Run(embedding, [300, 200, 0, 0], [1, -1], null, 1024, 768, false, default);
    }

    private string[] Cached() => Directory.Exists(_folder) ? Directory.GetFiles(_folder) : [];

    [Fact]
    public void FirstOpenWritesTheOptimisedModelAndLaterOpensUseItWithTheSameAnswers()
    {
        var plain = Run(Options(cache: false));
        Assert.Empty(Cached());

        var first = Run(Options(cache: true));
        var file = Assert.Single(Cached());
        Assert.EndsWith(".onnx", file);
        var written = File.GetLastWriteTimeUtc(file);

        var second = Run(Options(cache: true));
        Assert.Equal(file, Assert.Single(Cached()));
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
        foreach (var r in new[] { first, second })
        {
            Assert.Equal(plain.Scores, r.Scores);
            Assert.Equal(plain.LowRes[0], r.LowRes[0]);
        }
    }

    [Fact]
    public void ACorruptCachedModelIsMadeAgain()
    {
        Run(Options(cache: true));
        var file = Assert.Single(Cached());
        long length = new FileInfo(file).Length;
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..(int)(length / 2)]);

        var plain = Run(Options(cache: false));
        var again = Run(Options(cache: true));
        Assert.Equal(plain.LowRes[0], again.LowRes[0]);
        Assert.Equal(length, new FileInfo(Assert.Single(Cached())).Length);
    }

    [Fact]
    public void TheKeyFollowsTheModelBytes()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx"));
        var level = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL;
        string key = OptimizedModelCache.Key(bytes, level);
        Assert.Equal(key, OptimizedModelCache.Key(bytes.ToArray(), level));
        bytes[^1] ^= 1;
        Assert.NotEqual(key, OptimizedModelCache.Key(bytes, level));
        Assert.NotEqual(key, OptimizedModelCache.Key(File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx")), Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED));
    }
}

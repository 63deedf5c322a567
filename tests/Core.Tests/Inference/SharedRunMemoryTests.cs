using Xunit;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Inference;

/// <summary>Sessions that share one arena (<see cref="EngineOptions.ShareRunMemory"/>) give the answers of sessions with their own.</summary>
public sealed class SharedRunMemoryTests
{
    private static EngineOptions Options(bool share) =>
        new() { Device = ExecutionDevice.Cpu, IntraOpThreads = 1, CacheOptimizedModels = false, ShareRunMemory = share };

    private static SamDecoder.Result Run(SamDecoder d, int seed)
    {
        var rng = new Random(seed);
        var embedding = new float[SamTensorNames.EmbeddingLength];
        for (int i = 0; i < embedding.Length; i++) embedding[i] = (float)(rng.NextDouble() * 2 - 1);
        return d.Run(embedding, [300, 200, 0, 0], [1, -1], null, 1024, 768, false, default);
    }

    [Fact]
    public void TwoSessionsOnOneArenaAnswerAsSessionsWithTheirOwn()
    {
        string single = TestPaths.Fixture("models", "sam_decoder_single.onnx"), multi = TestPaths.Fixture("models", "sam_decoder_multi.onnx");
        using var ownA = SamDecoder.Open(single, "decoder", Options(share: false));
        using var ownB = SamDecoder.Open(multi, "decoder", Options(share: false));
        using var sharedA = SamDecoder.Open(single, "decoder", Options(share: true));
        using var sharedB = SamDecoder.Open(multi, "decoder", Options(share: true));
        // Alternating runs of two models on the one arena: each run's buffers are reused by the other model's next run.
        for (int seed = 1; seed <= 3; seed++)
        {
            var (a, b) = (Run(ownA, seed), Run(ownB, seed));
            var (sa, sb) = (Run(sharedA, seed), Run(sharedB, seed));
            Assert.Equal(a.Scores, sa.Scores);
            Assert.Equal(b.Scores, sb.Scores);
            Assert.Equal(a.LowRes.Length, sa.LowRes.Length);
            for (int m = 0; m < a.LowRes.Length; m++) Assert.Equal(a.LowRes[m], sa.LowRes[m]);
            for (int m = 0; m < b.LowRes.Length; m++) Assert.Equal(b.LowRes[m], sb.LowRes[m]);
        }
    }
}

using Xunit;
using SegPlugins.Core.Inference.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Tests.Concurrency;

/// <summary>The embedding cache and the run gate under many threads (no model needed).</summary>
public class EmbeddingCacheContentionTests
{
    private static readonly SamTransform Transform = SamTransform.For(640, 480);

    private static SamImageEmbedding Embedding(string model, int image)
    {
        var data = new float[SamTensorNames.EmbeddingLength];
        data[0] = image; // marks which image this is, to check that lookups never return another one
        return new SamImageEmbedding(model, (UInt128)image * 7919, Transform, data);
    }

    [Fact]
    public void EightThreadsAddingAndGetting_NeverExceedTheBudget_AndStayConsistent()
    {
        // 20 images over 2 models, a budget of 5 embeddings: most adds evict.
        var all = new SamImageEmbedding[40];
        for (int i = 0; i < all.Length; i++) all[i] = Embedding(i % 2 == 0 ? "model-a" : "model-b", i / 2);
        long size = all[0].SizeInBytes;
        var cache = new EmbeddingCache(5 * size + size / 2);

        long maxSeen = 0;
        int samples = 0, hits = 0, wrong = 0;
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                long b = cache.Bytes;
                if (b > Volatile.Read(ref maxSeen)) Volatile.Write(ref maxSeen, b);
                if (b % size != 0) Interlocked.Increment(ref wrong); // a total caught half-way through an update
                samples++;
            }
        });
        sampler.Start();
        var workers = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            for (int k = 0; k < 20_000; k++)
            {
                var e = all[rng.Next(all.Length)];
                if (rng.Next(3) == 0) cache.Add(e);
                else if (cache.TryGet(e.ModelKey, e.ImageHash) is { } got)
                {
                    Interlocked.Increment(ref hits);
                    if (!ReferenceEquals(got, e)) Interlocked.Increment(ref wrong);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        stop.Cancel();
        sampler.Join();

        Assert.True(samples > 0 && hits > 0);
        Assert.Equal(0, wrong); // a torn byte total, or a lookup returning another image's embedding
        Assert.InRange(maxSeen, 0, cache.BudgetBytes);
        Assert.Equal(5, cache.Count);
        Assert.Equal(5 * size, cache.Bytes);
        // What is left is exactly what can be found.
        Assert.Equal(5, all.Count(e => cache.TryGet(e.ModelKey, e.ImageHash) is not null));
    }

    [Fact]
    public void EmbeddingLargerThanTheBudget_IsNotKept()
    {
        var e = Embedding("m", 1);
        var cache = new EmbeddingCache(e.SizeInBytes - 1);
        cache.Add(e);
        Assert.Equal(0, cache.Bytes);
        Assert.Null(cache.TryGet("m", e.ImageHash));
    }

    [Fact]
    public async Task RunGate_CloseWaitsForLeasesInFlight_ThenRefusesNewOnes()
    {
        var gate = new RunGate("test model");
        var lease = gate.Enter();
        using var second = gate.Enter();
        Assert.Equal(2, gate.Active);
        second.Dispose();

        var close = Task.Factory.StartNew(gate.Close, TaskCreationOptions.LongRunning);
        // Close cannot finish while a lease is held, however long we look.
        Assert.NotSame(close, await Task.WhenAny(close, Task.Delay(200)));
        lease.Dispose();
        Assert.True(await close);
        Assert.Equal(0, gate.Active);
        var e = Assert.Throws<ObjectDisposedException>(() => gate.Enter());
        Assert.Contains("test model was closed", e.Message);
        Assert.False(gate.Close()); // the second close does not free anything again
    }
}

using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Concurrency;

/// <summary>
/// The Paint.NET host renders on several threads and <c>segplug run --jobs N</c> shares one engine: predictions and
/// image changes from many threads at once must give exactly the masks of one thread doing the same work in order.
/// Kept small (each prediction ~100 ms, each encoder run ~1.5 s on the real MobileSAM).
/// </summary>
[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class SharedSessionStressTests(MobileSamFixture f)
{
    private static PromptSet[] ChelseaPrompts() =>
    [
        PromptSet.FromPoints(new PointPrompt(230, 150)),
        PromptSet.FromPoints(new PointPrompt(120, 200)),
        PromptSet.FromPoints(new PointPrompt(230, 150), PointPrompt.Exclude(300, 60)),
        PromptSet.FromBox(new BoxXyxy(60, 20, 420, 290)),
        PromptSet.FromPoints(new PointPrompt(400, 40)),
        new PromptSet { Box = new BoxXyxy(150, 60, 330, 280), Points = [PointPrompt.Include(240, 170)] },
    ];

    private static void AssertSame(MaskPrediction want, MaskPrediction got, string what)
    {
        Assert.True(want.Mask.Data.AsSpan().SequenceEqual(got.Mask.Data), $"{what}: mask differs from the serial run");
        Assert.Equal(want.Score, got.Score);
        Assert.True(want.LowResLogits.Data.AsSpan().SequenceEqual(got.LowResLogits.Data), $"{what}: low-res logits differ from the serial run");
    }

    [Fact]
    public void EightThreadsPredictingOnOneEmbedding_GiveTheSerialMasks()
    {
        var prompts = ChelseaPrompts();
        var serial = prompts.Select(p => f.Session.Predict(f.ChelseaEmbedding, p)).ToArray();

        // 8 threads x 4 predictions: each prompt is predicted several times, on different threads, in different orders.
        const int threads = 8, each = 4;
        var results = new (int Prompt, MaskPrediction Prediction)[threads * each];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int k = 0; k < each; k++)
            {
                int p = (t * 5 + k * 3) % prompts.Length;
                results[t * each + k] = (p, f.Session.Predict(f.ChelseaEmbedding, prompts[p]));
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        foreach (var (p, prediction) in results) AssertSame(serial[p], prediction, $"prompt {p}");
        Assert.Equal(prompts.Length, results.Select(r => r.Prompt).Distinct().Count());
    }

    [Fact]
    public async Task ImageSessionsSwitchingImagesOnThreads_GiveTheSerialEmbeddingsAndMasks()
    {
        var coffee = ImageIO.Load(TestPaths.Sample("coffee.jpg"));
        var images = new[] { f.Chelsea, coffee };
        var prompts = new[]
        {
            new[] { PromptSet.FromPoints(new PointPrompt(230, 150)), PromptSet.FromBox(new BoxXyxy(60, 20, 420, 290)) },
            new[] { PromptSet.FromPoints(new PointPrompt(320, 220)), PromptSet.FromBox(new BoxXyxy(100, 80, 520, 380)) },
        };

        // Serial reference on the shared session: one encoder run (the cat's embedding is the fixture's).
        var embeddings = new[] { f.ChelseaEmbedding, f.Session.Embed(coffee) };
        var serial = new MaskPrediction[2][];
        for (int i = 0; i < 2; i++) serial[i] = prompts[i].Select(p => f.Session.Predict(embeddings[i], p)).ToArray();

        // A second session, so that the encoder itself runs on two threads at once (the first one's cache would answer).
        using var shared = await SamSession.OpenAsync(ModelIds.MobileSam, new EngineOptions { Device = ExecutionDevice.Cpu });
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        int fixturePredictions = 0;
        using var start = new Barrier(3);
        using var switchImages = new Barrier(2); // both embeddings exist before the switch: no encoder run is repeated
        var threads = new List<Thread>();
        for (int t = 0; t < 2; t++)
        {
            int first = t;
            threads.Add(new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    using var view = shared.ForImage(images[first]);          // SetImage: concurrent encoder runs
                    for (int round = 0; round < 2; round++)
                    {
                        int i = (first + round) % 2;
                        if (round > 0)
                        {
                            if (!switchImages.SignalAndWait(TimeSpan.FromMinutes(3))) throw new TimeoutException("the other thread did not reach the switch");
                            view.SetImage(images[i]);                           // switch images mid-way (a cache hit)
                        }
                        for (int p = 0; p < prompts[i].Length; p++)
                            AssertSame(serial[i][p], view.Predict(prompts[i][p]), $"thread {first}, image {i}, prompt {p}");
                    }
                }
                catch (Exception e) { failures.Enqueue(e); }
            }));
        }
        // Meanwhile predictions on the first session's image, interleaved with the other session's encoder runs.
        threads.Add(new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int k = 0; k < 4; k++)
                {
                    AssertSame(serial[0][k % 2], f.Session.Predict(embeddings[0], prompts[0][k % 2]), $"interleaved prediction {k}");
                    Interlocked.Increment(ref fixturePredictions);
                }
            }
            catch (Exception e) { failures.Enqueue(e); }
        }));
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
        Assert.Equal(4, fixturePredictions);
        // Both images' embeddings, computed concurrently on the second session, equal the serial ones exactly.
        for (int i = 0; i < 2; i++)
        {
            var e = shared.Embed(images[i]); // a cache hit now
            Assert.True(embeddings[i].Data.AsSpan().SequenceEqual(e.Data), $"embedding of image {i} differs");
        }
    }

    [Fact]
    public void DisposingWhileThreadsRun_WaitsForTheRunsAndThenRefusesNewOnes()
    {
        using var decoder = SamDecoder.Open(f.Session.Decoder.Path, "decoder under test", new EngineOptions { Device = ExecutionDevice.Cpu });
        var prompt = PromptSet.FromPoints(new PointPrompt(230, 150));
        SamSession.BuildPromptTensors(prompt, f.ChelseaEmbedding.Transform, out var coords, out var labels);
        var t = f.ChelseaEmbedding.Transform;
        var want = decoder.Run(f.ChelseaEmbedding.Data, coords, labels, null, t.SourceWidth, t.SourceHeight, false, default).Scores;

        int completed = 0;
        var outcomes = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var enough = new CountdownEvent(8);
        var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            try
            {
                while (true)
                {
                    var r = decoder.Run(f.ChelseaEmbedding.Data, coords, labels, null, t.SourceWidth, t.SourceHeight, false, default);
                    Assert.Equal(want, r.Scores);
                    Interlocked.Increment(ref completed);
                    if (!enough.IsSet) enough.Signal();
                }
            }
            catch (Exception e) { outcomes.Enqueue(e); }
        })).ToList();
        workers.ForEach(w => w.Start());
        enough.Wait(TimeSpan.FromMinutes(2));
        decoder.Dispose(); // with runs in flight on the other threads
        workers.ForEach(w => w.Join());

        Assert.True(Volatile.Read(ref completed) >= 8);
        Assert.Equal(4, outcomes.Count);
        Assert.All(outcomes, e => Assert.IsType<ObjectDisposedException>(e)); // never a native crash or a torn result
        decoder.Dispose(); // twice is harmless
    }
}

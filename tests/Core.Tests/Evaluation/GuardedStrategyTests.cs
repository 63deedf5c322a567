using SegPlugins.Core.Evaluation;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using Xunit;

namespace SegPlugins.Core.Tests.Evaluation;

public class GuardedStrategyTests
{
    /// <summary>A model that drops everything whenever a mask is fed back (the failure the guard catches).</summary>
    private sealed class ForgetfulSession(DiskSession inner) : ISegmentationSession
    {
        public string ModelName => inner.ModelName;
        public bool HasImage => inner.HasImage;
        public int ImageWidth => inner.ImageWidth;
        public int ImageHeight => inner.ImageHeight;
        public int Calls { get; private set; }
        public void SetImage(BgraImage image, CancellationToken ct = default) => inner.SetImage(image, ct);
        public void Reset() => inner.Reset();
        public void Dispose() { }

        public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken ct = default)
        {
            Calls++;
            var p = inner.Predict(prompts, options, ct);
            if (prompts.MaskInput is null) return p;
            var empty = new MaskProposal(0, 0.99f, new LogitMap(256, 256));
            return new MaskPrediction(new Mask(ImageWidth, ImageHeight), empty, [empty], _ => new LogitMap(ImageWidth, ImageHeight));
        }
    }

    [Fact]
    public void FallsBackToAFreshPredictionWhenTheFedBackOneContradictsTheClicks()
    {
        var image = new BgraImage(60, 40);
        var session = new ForgetfulSession(new DiskSession(5));
        session.SetImage(image);
        var ctx = new ClickEpisodeContext(session, image, null);
        PointPrompt[] clicks = [new(20, 20), new(35, 20)];

        using (var plain = ClickStrategies.Create(ClickStrategyKind.FeedbackLogits).Begin(ctx))
        {
            plain.Predict(clicks[..1]);
            Assert.True(plain.Predict(clicks).IsEmpty); // the failure as it is
        }

        int before = session.Calls;
        using var guarded = ClickStrategies.Create(ClickStrategyKind.Guarded).Begin(ctx);
        var first = guarded.Predict(clicks[..1]);
        Assert.Equal(EvalTestUtil.Disk(60, 40, 20, 20, 5).Data, first.Data);
        var second = guarded.Predict(clicks);
        var expected = EvalTestUtil.Disk(60, 40, 20, 20, 5);
        var other = EvalTestUtil.Disk(60, 40, 35, 20, 5);
        for (int i = 0; i < expected.Data.Length; i++) expected.Data[i] |= other.Data[i];
        Assert.Equal(expected.Data, second.Data);
        Assert.Equal(3, session.Calls - before); // one for the first click, two for the second
    }

    [Fact]
    public void KeepsTheFedBackPredictionWhenItHonoursTheClicks()
    {
        var image = new BgraImage(60, 40);
        var session = new DiskSession(5);
        session.SetImage(image);
        using var guarded = ClickStrategies.Create(ClickStrategyKind.Guarded).Begin(new ClickEpisodeContext(session, image, null));
        guarded.Predict([new PointPrompt(20, 20)]);
        guarded.Predict([new PointPrompt(20, 20), new PointPrompt(40, 20)]);
        Assert.Equal(2, session.Requests.Count);
        Assert.NotNull(session.Requests[1].MaskInput);
    }

    [Fact]
    public void ClickViolationsCountsContradictedClicks()
    {
        var m = EvalTestUtil.Disk(20, 20, 10, 10, 3);
        Assert.Equal(0, ClickStrategies.ClickViolations(m, [new(10, 10), new(0, 0, false)]));
        Assert.Equal(2, ClickStrategies.ClickViolations(m, [new(0, 0), new(10, 10, false)]));
    }
}

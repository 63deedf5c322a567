using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Editing;

public class ClickChainTests
{
    private const int W = 60, H = 40;

    private static Support.DiskSession Session()
    {
        var s = new Support.DiskSession(4);
        s.SetImage(new BgraImage(W, H));
        return s;
    }

    private static readonly PointPrompt A = new(10, 10), B = new(30, 20), C = new(45, 30, false), D = new(50, 8);

    [Fact]
    public void EachClickSeesTheClicksBeforeItAndTheLastLogits()
    {
        var s = Session();
        var chain = new ClickChain(s);
        var r = chain.Predict([A, B, C]);
        Assert.Equal(3, s.Requests.Count);
        Assert.Equal(3, chain.DecoderRuns);
        for (int i = 0; i < 3; i++)
            Assert.Equal(new[] { A, B, C }.Take(i + 1), s.Requests[i].Points);
        Assert.Null(s.Requests[0].MaskInput);
        Assert.NotNull(s.Requests[1].MaskInput);
        Assert.NotNull(s.Requests[2].MaskInput);
        // The result is the last step's, with its own logits to feed back next.
        Assert.Equal(FakeSegmentation.Disk(W, H, 10, 10, 4).Union(FakeSegmentation.Disk(W, H, 30, 20, 4)).Data, r.Mask.Data);
        Assert.Same(r.Prediction.LowResLogits, r.LowResLogits);
        Assert.Null(r.SubjectBox);
    }

    [Fact]
    public void RepeatedAndExtendedListsReuseTheirSteps()
    {
        var s = Session();
        var chain = new ClickChain(s);
        var first = chain.Predict([A, B]);
        Assert.Equal(2, chain.DecoderRuns);

        var same = chain.Predict([A, B]);
        Assert.Equal(2, chain.DecoderRuns);               // nothing new: no decoder run
        Assert.Same(first.Prediction, same.Prediction);

        chain.Predict([A, B, C]);
        Assert.Equal(3, chain.DecoderRuns);               // one more click, one more run
        Assert.Same(first.LowResLogits, s.Requests[2].MaskInput);

        chain.Predict([A, D, C]);
        Assert.Equal(5, chain.DecoderRuns);               // the second click moved: steps 2 and 3 again
        Assert.Equal(new[] { A, D }, s.Requests[3].Points);

        chain.Predict([A]);
        Assert.Equal(5, chain.DecoderRuns);               // a shorter list is a step already known
    }

    [Fact]
    public void ADrawnBoxGoesWithEveryClickAndChangingItStartsOver()
    {
        var s = Session();
        var chain = new ClickChain(s);
        var box = new BoxXyxy(5, 5, 40, 30);
        chain.Predict([A, B], box);
        Assert.All(s.Requests, r => Assert.Equal(box, r.Box));
        chain.Predict([A, B], new BoxXyxy(5, 5, 41, 30));
        Assert.Equal(4, chain.DecoderRuns);
        chain.Predict([A, B]);
        Assert.Equal(6, chain.DecoderRuns);
        Assert.Null(s.Requests[^1].Box);

        // A box alone is one plain box prediction.
        var only = chain.Predict([], box);
        Assert.Equal(7, chain.DecoderRuns);
        Assert.Empty(s.Requests[^1].Points);
        Assert.Equal(box, s.Requests[^1].Box);
        Assert.Equal(only.Prediction.Mask.Data, only.Mask.Data);
    }

    [Fact]
    public void BadRequestsSayWhatIsMissing()
    {
        var chain = new ClickChain(Session());
        var e = Assert.Throws<SegArgumentException>(() => chain.Predict([]));
        Assert.Contains("at least one click or a box", e.Message);
        Assert.Throws<ArgumentNullException>(() => new ClickChain(null!));
    }

    [Fact]
    public void ADrawnBoxIsAnsweredWithoutTheSubjectPrior()
    {
        // The salient region would take the first click (as in the test below); with a box drawn, the box says where
        // the object is: the chain answers as one without a map, and goes back to the prior for clicks alone.
        var map = new LogitMap(W, H);
        for (int y = 8; y <= 27; y++) for (int x = 10; x <= 29; x++) map.Data[y * W + x] = 0.9f;
        var box = new BoxXyxy(5, 5, 40, 35);
        var inside = new PointPrompt(20, 18);
        var guided = new ClickChain(Session(), map);
        var withBox = guided.Predict([inside], box);
        var unguided = new ClickChain(Session()).Predict([inside], box);
        Assert.Null(withBox.SubjectBox);
        Assert.Equal(unguided.Mask.Data, withBox.Mask.Data);
        Assert.Equal(1, guided.DecoderRuns);
        var alone = guided.Predict([inside]);
        var expected = SubjectGuidance.FirstClick(Session(), inside, map);
        Assert.Equal(expected.Box, alone.SubjectBox);
        Assert.Equal(expected.Mask.Data, alone.Mask.Data);
        Assert.Equal(3, guided.DecoderRuns); // the click alone and the click with the salient region's box
    }

    [Fact]
    public void WithASaliencyMapTheFirstClickIsGuidedAndTheBoxStaysAsContext()
    {
        // Salient rectangle x 10..29, y 8..27; a click inside it takes the region's box.
        var map = new LogitMap(W, H);
        for (int y = 8; y <= 27; y++) for (int x = 10; x <= 29; x++) map.Data[y * W + x] = 0.9f;
        var s = Session();
        var chain = new ClickChain(s, map);
        var inside = new PointPrompt(20, 18);
        var first = chain.Predict([inside]);
        var expected = SubjectGuidance.FirstClick(Session(), inside, map);
        Assert.Equal(expected.Box, first.SubjectBox);
        Assert.Equal(expected.Mask.Data, first.Mask.Data);
        Assert.Equal(2, chain.DecoderRuns);               // the plain click and the click with the box

        var second = chain.Predict([inside, new PointPrompt(25, 20, false)]);
        Assert.Equal(expected.Box, s.Requests[^1].Box);   // kept as context, with the logits fed back
        Assert.NotNull(s.Requests[^1].MaskInput);
        Assert.Equal(expected.Box, second.SubjectBox);

        // A negative first click has nothing to be guided by: a plain step.
        var plain = new ClickChain(Session(), map).Predict([new PointPrompt(20, 18, false)]);
        Assert.Null(plain.SubjectBox);
    }
}

[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class ClickChainModelTests(MobileSamFixture f)
{
    [Fact]
    public void OnTheRealModelTheChainIsTheStepByStepFeedbackLoop()
    {
        var view = new SamImageSession(f.Session, f.ChelseaEmbedding);
        PointPrompt[] clicks = [new(200, 150), new(330, 250, false), new(120, 260)];
        var chain = new ClickChain(view);
        var r = chain.Predict(clicks);

        // The same loop written out by hand.
        LogitMap? previous = null;
        MaskPrediction? last = null;
        for (int i = 0; i < clicks.Length; i++)
        {
            last = f.Session.Predict(f.ChelseaEmbedding, new PromptSet { Points = clicks.Take(i + 1).ToArray(), MaskInput = previous });
            previous = last.LowResLogits;
        }
        Assert.Equal(last!.Mask.Data, r.Mask.Data);
        Assert.Equal(last.LowResLogits.Data, r.LowResLogits.Data);
        Assert.Equal(last.Score, r.Proposal.Score);

        // All at once is a different answer (no history): the chain really feeds back.
        var atOnce = f.Session.Predict(f.ChelseaEmbedding, PromptSet.FromPoints(clicks));
        Assert.NotEqual(atOnce.LowResLogits.Data, r.LowResLogits.Data);
    }
}

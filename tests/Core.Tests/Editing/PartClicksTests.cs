using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Editing;

public class PartClicksTests
{
    private const int W = 80, H = 40;

    // The first answer is a disk on the left; the decoder answers the second click (everything together) by jumping to
    // a large region holding both clicks, the way SAM sometimes reads two distant include clicks as one larger object.
    private static readonly Mask Left = FakeSegmentation.Disk(W, H, 15, 20, 8);
    private static readonly Mask Right = FakeSegmentation.Disk(W, H, 62, 20, 7);
    private static readonly Mask Jumped = Rect(0, 0, W, H);
    private static readonly PointPrompt First = new(15, 20), Apart = new(62, 20);

    private static readonly ClickChainOptions PartsOn = new() { Parts = new PartClickOptions { PartMinGap = 0.5 } };
    private static readonly ClickChainOptions HolesOn = new() { Parts = new PartClickOptions { HoleMinDepth = 0.5 } };

    private static Mask Rect(int x0, int y0, int x1, int y1)
    {
        var m = new Mask(W, H);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) m.Data[y * W + x] = Mask.On;
        return m;
    }

    private static MaskPrediction Answer(Mask m) => FakeSegmentation.Readings(0, null, m);

    [Fact]
    public void AnIncludeClickApartFromTheSelectionIsAnsweredAloneAndUnited()
    {
        var s = new ScriptedSession(W, H, Answer(Left), Answer(Right), Answer(Jumped));
        var chain = new ClickChain(s, settings: PartsOn);
        chain.Predict([First]);
        var r = chain.Predict([First, Apart]);
        Assert.Equal(Left.Union(Right).Data, r.Mask.Data);
        Assert.Equal(ClickStepNotes.PartUnion, chain.LastNotes & ClickStepNotes.PartUnion);
        // The part was asked alone: the click, no mask input, no earlier click.
        Assert.Equal([Apart], s.Requests[1].Points);
        Assert.Null(s.Requests[1].MaskInput);
        // The united selection is what the next click feeds back: the part's cells are positive, the gap between negative.
        chain.Predict([First, Apart, new(40, 5, false)]);
        var fed = s.Requests[2].MaskInput!;
        Assert.Same(r.LowResLogits, fed);
        // A low-res cell is 80/256 of a pixel here (the long side fills the model's frame).
        Assert.True(fed.Data[(int)(20 * 3.2) * 256 + (int)(62 * 3.2)] > 0);
        Assert.True(fed.Data[(int)(20 * 3.2) * 256 + (int)(40 * 3.2)] <= 0);
    }

    [Fact]
    public void WithoutPartsTheSameClicksGetTheJointAnswer()
    {
        var s = new ScriptedSession(W, H, Answer(Left), Answer(Jumped));
        var chain = new ClickChain(s);
        chain.Predict([First]);
        Assert.Equal(Jumped.Data, chain.Predict([First, Apart]).Mask.Data);
        Assert.Equal([First, Apart], s.Requests[1].Points);
    }

    [Fact]
    public void AClickTouchingTheSelectionIsNoPart()
    {
        var s = new ScriptedSession(W, H, Answer(Left), Answer(Jumped));
        var chain = new ClickChain(s, settings: PartsOn);
        chain.Predict([First]);
        var touching = new PointPrompt(24, 20);                // one pixel right of the disk's edge
        Assert.Equal(Jumped.Data, chain.Predict([First, touching]).Mask.Data);
        Assert.Equal(2, s.Requests.Count);
        Assert.Equal(PartClicks.Kind.None, PartClicks.Classify(Left, touching, PartsOn.Parts).Kind);
        Assert.Equal(PartClicks.Kind.Part, PartClicks.Classify(Left, Apart, PartsOn.Parts).Kind);
    }

    [Fact]
    public void APartAnswerLargerThanTheGrowthLimitFallsBackToTheJointAnswer()
    {
        // The click alone reads the whole frame (the background): too large a part, so all clicks are asked together.
        var joint = Left.Union(Rect(50, 10, 75, 30));
        var s = new ScriptedSession(W, H, Answer(Left), Answer(Jumped), Answer(joint));
        var chain = new ClickChain(s, settings: PartsOn);
        chain.Predict([First]);
        Assert.Equal(joint.Data, chain.Predict([First, Apart]).Mask.Data);
        Assert.Equal(3, s.Requests.Count);
        Assert.Equal([First, Apart], s.Requests[2].Points);
        Assert.Equal(ClickStepNotes.None, chain.LastNotes & ClickStepNotes.PartUnion);
    }

    [Fact]
    public void WithPartWhenJointGrowsThePartIsAskedOnlyAfterTheJointAnswerJumped()
    {
        var settings = new ClickChainOptions { Parts = new PartClickOptions { PartMinGap = 0.5, PartWhenJointGrows = 3 } };
        // The joint answer jumps to the whole frame (16 times the selection): the part is asked alone next, and united.
        var s = new ScriptedSession(W, H, Answer(Left), Answer(Jumped), Answer(Right));
        var chain = new ClickChain(s, settings: settings);
        chain.Predict([First]);
        Assert.Equal(Left.Union(Right).Data, chain.Predict([First, Apart]).Mask.Data);
        Assert.Equal([First, Apart], s.Requests[1].Points);
        Assert.Equal([Apart], s.Requests[2].Points);
        // A joint answer that only doubles the selection stands, without a second decoder run.
        var modest = Left.Union(Right);
        var s2 = new ScriptedSession(W, H, Answer(Left), Answer(modest), Answer(Right));
        var chain2 = new ClickChain(s2, settings: settings);
        chain2.Predict([First]);
        Assert.Equal(modest.Data, chain2.Predict([First, Apart]).Mask.Data);
        Assert.Equal(2, s2.Requests.Count);
        Assert.Equal(ClickStepNotes.None, chain2.LastNotes & ClickStepNotes.PartUnion);
    }

    [Fact]
    public void APartIsAddedOnlyToASelectionTheModelScoredHighEnough()
    {
        var settings = new ClickChainOptions { Parts = new PartClickOptions { PartMinGap = 0.5, PartMinPreviousScore = 0.9 } };
        var trusted = new ScriptedSession(W, H, FakeSegmentation.Readings(0, [0.95f], Left), Answer(Right), Answer(Jumped));
        var chain = new ClickChain(trusted, settings: settings);
        chain.Predict([First]);
        Assert.Equal(Left.Union(Right).Data, chain.Predict([First, Apart]).Mask.Data);
        // The same selection scored 0.6 by the model: the joint answer corrects it.
        var doubted = new ScriptedSession(W, H, FakeSegmentation.Readings(0, [0.6f], Left), Answer(Jumped), Answer(Right));
        var chain2 = new ClickChain(doubted, settings: settings);
        chain2.Predict([First]);
        Assert.Equal(Jumped.Data, chain2.Predict([First, Apart]).Mask.Data);
        Assert.Equal([First, Apart], doubted.Requests[1].Points);
    }

    [Fact]
    public void ExcludeClicksNearThePartGoWithIt()
    {
        var near = new PointPrompt(58, 8, false);
        var far = new PointPrompt(2, 2, false);
        var own = PartClicks.OwnPrompt([First, far, near, Apart], PartClicks.Kind.Part, 30, PartsOn.Parts);
        Assert.Equal([Apart, near], own);
        var alone = PartClicks.OwnPrompt([First, far, near, Apart], PartClicks.Kind.Part, 30, PartsOn.Parts with { PartWithExcludes = false });
        Assert.Equal([Apart], alone);
    }

    [Fact]
    public void AnExcludeClickDeepInsideCutsItsOwnAnswerOut()
    {
        var whole = Rect(5, 5, 75, 35);
        var hole = FakeSegmentation.Disk(W, H, 40, 20, 6);
        var s = new ScriptedSession(W, H, Answer(whole), Answer(hole), Answer(Jumped));
        var chain = new ClickChain(s, settings: HolesOn);
        chain.Predict([new(20, 20)]);
        var deep = new PointPrompt(40, 20, false);
        var r = chain.Predict([new(20, 20), deep]);
        Assert.Equal(whole.Subtract(hole).Data, r.Mask.Data);
        Assert.Equal(ClickStepNotes.HoleCut, chain.LastNotes & ClickStepNotes.HoleCut);
        // The hole is asked as an include click alone.
        Assert.Equal([deep with { Positive = true }], s.Requests[1].Points);
        // A hole that would take most of the selection is not cut: the joint answer stands.
        var s2 = new ScriptedSession(W, H, Answer(whole), Answer(Jumped), Answer(Left));
        var chain2 = new ClickChain(s2, settings: HolesOn);
        chain2.Predict([new(20, 20)]);
        Assert.Equal(Left.Data, chain2.Predict([new(20, 20), deep]).Mask.Data);
    }

    [Fact]
    public void AUnionThatContradictsAnEarlierClickIsNotTaken()
    {
        var excluded = new PointPrompt(62, 24, false);        // an earlier exclude click inside the part's answer
        Assert.Null(PartClicks.Combine(Left, Right, [First, excluded, Apart], PartClicks.Kind.Part, PartsOn.Parts));
        Assert.NotNull(PartClicks.Combine(Left, Right, [First, Apart], PartClicks.Kind.Part, PartsOn.Parts));
        // An answer that misses its own click is not taken either.
        Assert.Null(PartClicks.Combine(Left, Right, [First, new PointPrompt(40, 20)], PartClicks.Kind.Part, PartsOn.Parts));
    }

    [Theory]
    [InlineData(-0.1, 2, 1, 0, 0.5, "part min gap")]
    [InlineData(0.5, 0, 1, 0, 0.5, "part min gap pixels")]
    [InlineData(0.5, 2, -1, 0, 0.5, "part max growth")]
    [InlineData(0, 2, 1, 1.5, 0.5, "hole min depth")]
    [InlineData(0, 2, 1, 0.5, 0, "hole max share")]
    [InlineData(0.5, 2, 1, 0, 0.5, "part when joint grows", 0.5)]
    [InlineData(0, 2, 1, 0.5, 0.5, "hole when joint keeps", 0, 1.5)]
    [InlineData(0.5, 2, 1, 0, 0.5, "part min previous score", 0, 0, 1.2)]
    public void BadThresholdsAreNamed(double gap, double gapPixels, double growth, double holeDepth, double holeShare, string name, double jointGrows = 0, double jointKeeps = 0, double previousScore = 0)
    {
        var o = new ClickChainOptions { Parts = new PartClickOptions { PartMinGap = gap, PartMinGapPixels = gapPixels, PartMaxGrowth = growth, HoleMinDepth = holeDepth, HoleMaxShare = holeShare, PartWhenJointGrows = jointGrows, HoleWhenJointKeeps = jointKeeps, PartMinPreviousScore = previousScore } };
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(new ScriptedSession(W, H, Answer(Left)), settings: o));
        Assert.Equal(name, e.Parameter);
    }
}

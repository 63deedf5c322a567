using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation;

public class CorrectionGuardTests
{
    private const int W = 80, H = 80;
    private static readonly Mask Selection = FakeSegmentation.Disk(W, H, 40, 40, 20);
    private static readonly PointPrompt Centre = new(40, 40), EdgeExclude = new(57, 40, false), DeepExclude = new(30, 40, false);
    private static readonly Mask Bite = Selection.Subtract(FakeSegmentation.Disk(W, H, 58, 40, 5));
    private static readonly Mask Sliver = FakeSegmentation.Disk(W, H, 40, 40, 3);

    [Theory]
    [InlineData(40, 40, false)]   // the centre: depth 20
    [InlineData(30, 40, false)]   // depth 10, beyond a quarter of 20
    [InlineData(57, 40, true)]    // 3-4 px inside the edge
    [InlineData(62, 40, true)]    // 2 px outside it
    [InlineData(75, 40, false)]   // 15 px outside it
    public void AnEdgeClickLiesWithinAQuarterOfTheDeepestDepthOfTheEdge(int x, int y, bool edge) =>
        Assert.Equal(edge, CorrectionGuard.IsEdgeClick(Selection, new PointPrompt(x, y)));

    [Fact]
    public void NothingSelectedHasNoEdge() => Assert.False(CorrectionGuard.IsEdgeClick(new Mask(W, H), Centre));

    /// <summary>A four-mask answer; the first mask is the decoder's choice.</summary>
    private static MaskPrediction Answer(params Mask[] masks) => FakeSegmentation.Readings(0, null, masks);

    [Fact]
    public void ACollapseAfterAnEdgeClickGivesWayToTheClosestProposalThatAgreesWithEveryClick()
    {
        var kept = CorrectionGuard.Reconsider(Answer(Sliver, Bite, Selection, new Mask(W, H)), [Centre, EdgeExclude], Selection, guardCollapse: true);
        Assert.NotNull(kept);
        Assert.Equal(1, kept.Value.Proposal.Index); // 2 is closer but still holds the excluded pixel
        Assert.Equal(Bite.Data, kept.Value.Mask.Data);
    }

    [Fact]
    public void AnExcludeClickDoesNotGrowTheSelectionNorAnIncludeClickShrinkIt()
    {
        // 1 agrees with both clicks and is closest to the selection, but it is larger than the selection.
        var larger = Selection.Union(FakeSegmentation.Disk(W, H, 70, 70, 9)).Subtract(FakeSegmentation.Disk(W, H, 58, 40, 2));
        var kept = CorrectionGuard.Reconsider(Answer(Sliver, larger, Bite), [Centre, EdgeExclude], Selection, guardCollapse: true);
        Assert.Equal(2, kept!.Value.Proposal.Index);
        Assert.Null(CorrectionGuard.Reconsider(Answer(Sliver, larger), [Centre, EdgeExclude], Selection, guardCollapse: true));
        // An include click at the edge answered with a flood: the proposal that only adds the clicked bump wins.
        var flood = new Mask(W, H); Array.Fill(flood.Data, Mask.On);
        var bump = Selection.Union(FakeSegmentation.Disk(W, H, 62, 40, 4));
        var smaller = Selection.Subtract(FakeSegmentation.Disk(W, H, 30, 40, 2)).Union(FakeSegmentation.Disk(W, H, 62, 40, 2));
        var grown = CorrectionGuard.Reconsider(Answer(flood, smaller, bump), [Centre, new PointPrompt(62, 40)], Selection, guardCollapse: true);
        Assert.Equal(2, grown!.Value.Proposal.Index);
    }

    [Fact]
    public void ACollapseAfterADeepClickIsReconsideredAModerateChangeStands()
    {
        // The exclude click deep inside says the selection was partly wrong; losing all but a sliver still is not what it asks.
        var left = Selection.Subtract(FakeSegmentation.Disk(W, H, 25, 40, 14));
        var kept = CorrectionGuard.Reconsider(Answer(Sliver, left), [Centre, DeepExclude], Selection, guardCollapse: true);
        Assert.Equal(1, kept!.Value.Proposal.Index);
        Assert.Null(CorrectionGuard.Reconsider(Answer(Sliver, left), [Centre, DeepExclude], Selection, guardCollapse: false));
        // Half the selection gone: a real change, not a collapse, and not at the edge.
        var half = Selection.Subtract(FakeSegmentation.Disk(W, H, 20, 40, 22));
        Assert.True(half.Area() >= CorrectionGuard.CollapsedArea * Selection.Area() && half.IoU(Selection) < CorrectionGuard.KeptIoU);
        Assert.Null(CorrectionGuard.Reconsider(Answer(half, left), [Centre, DeepExclude], Selection, guardCollapse: true));
        // An answer that keeps the selection stands.
        var close = Selection.Subtract(FakeSegmentation.Disk(W, H, 58, 40, 8));
        Assert.True(close.IoU(Selection) >= CorrectionGuard.KeptIoU);
        Assert.Null(CorrectionGuard.Reconsider(Answer(close, Bite), [Centre, EdgeExclude], Selection, guardCollapse: true));
    }

    [Fact]
    public void TheChainAnswersAnEdgeClickFromTheProposalThatKeepsTheSelection()
    {
        var session = new ScriptedSession(W, H, Answer(Selection), Answer(Sliver, Bite, Selection, new Mask(W, H)));
        var chain = new ClickChain(session);
        Assert.Equal(Selection.Data, chain.Predict([Centre]).Mask.Data);
        var r = chain.Predict([Centre, EdgeExclude]);
        Assert.Equal(1, r.Proposal.Index);
        Assert.Same(r.Proposal.LowResLogits, r.LowResLogits);
        Assert.Equal(Bite.Data, r.Mask.Data);
    }

    [Fact]
    public void AnAnswerThatContradictsAClickGivesWayToTheProposalAgreeingWithMostClicks()
    {
        var include2 = new PointPrompt(70, 70);
        var withCorner = Selection.Union(FakeSegmentation.Disk(W, H, 70, 70, 6));
        var cornerAlone = FakeSegmentation.Disk(W, H, 70, 70, 6);
        // The answer drops the first include click; 1 holds both clicks, 2 only the new one.
        var r = CorrectionGuard.Consistent(Answer(cornerAlone, withCorner, cornerAlone), [Centre, include2], Selection);
        Assert.Equal(1, r!.Value.Proposal.Index);
        Assert.Equal(withCorner.Data, r.Value.Mask.Data);
        // Two proposals agree with every click: the one that keeps more of the previous selection wins.
        var withCornerBitten = withCorner.Subtract(FakeSegmentation.Disk(W, H, 25, 40, 8));
        Assert.Equal(2, CorrectionGuard.Consistent(Answer(cornerAlone, withCornerBitten, withCorner), [Centre, include2], Selection)!.Value.Proposal.Index);
    }

    [Fact]
    public void AnAnswerThatAgreesWithEveryClickOrHasNoBetterProposalStands()
    {
        Assert.Null(CorrectionGuard.Consistent(Answer(Bite, Sliver), [Centre, EdgeExclude], Selection));
        // The answer keeps the excluded pixel; no proposal does better.
        Assert.Null(CorrectionGuard.Consistent(Answer(Selection, Selection), [Centre, EdgeExclude], Selection));
        Assert.Null(CorrectionGuard.Consistent(FakeSegmentation.Readings(0, null, Selection), [Centre, EdgeExclude], Selection));
    }

    [Fact]
    public void GuardThresholdsComeFromTheOptions()
    {
        var left = Selection.Subtract(FakeSegmentation.Disk(W, H, 25, 40, 14));
        var half = Selection.Subtract(FakeSegmentation.Disk(W, H, 20, 40, 22));
        // Under the default 30 % the half answer stands; with 90 % it has collapsed and gives way.
        Assert.Null(CorrectionGuard.Reconsider(Answer(half, left), [Centre, DeepExclude], Selection, guardCollapse: true));
        var strict = new CorrectionGuardOptions { CollapsedArea = 0.9 };
        Assert.Equal(1, CorrectionGuard.Reconsider(Answer(half, left), [Centre, DeepExclude], Selection, guardCollapse: true, strict)!.Value.Proposal.Index);
    }
}

using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Evaluation;
using Xunit;

namespace SegPlugins.Core.Tests.Segmentation;

public class EdgeCorrectionTests
{
    private const int W = 80, H = 80;
    private static readonly Mask Selection = EvalTestUtil.Disk(W, H, 40, 40, 20);
    private static readonly PointPrompt Centre = new(40, 40), EdgeExclude = new(57, 40, false);

    [Theory]
    [InlineData(40, 40, false)]   // the centre: depth 20
    [InlineData(30, 40, false)]   // depth 10, beyond a quarter of 20
    [InlineData(57, 40, true)]    // 3-4 px inside the edge
    [InlineData(62, 40, true)]    // 2 px outside it
    [InlineData(75, 40, false)]   // 15 px outside it
    public void AnEdgeClickLiesWithinAQuarterOfTheDeepestDepthOfTheEdge(int x, int y, bool edge) =>
        Assert.Equal(edge, EdgeCorrection.IsEdgeClick(Selection, new PointPrompt(x, y)));

    [Fact]
    public void NothingSelectedHasNoEdge() => Assert.False(EdgeCorrection.IsEdgeClick(new Mask(W, H), Centre));

    /// <summary>Four readings of [centre, edge exclude]: 0 (chosen) a collapse, 1 the selection less a bite at the click, 2 the untouched selection, 3 nothing.</summary>
    private static MaskPrediction Answer(Mask? chosenMask = null)
    {
        var bite = Selection.Subtract(EvalTestUtil.Disk(W, H, 58, 40, 5));
        var masks = new[] { chosenMask ?? EvalTestUtil.Disk(W, H, 40, 40, 3), bite, Selection, new Mask(W, H) };
        var proposals = Enumerable.Range(0, 4).Select(i => new MaskProposal(i, 0.9f, new LogitMap(256, 256))).ToArray();
        return new MaskPrediction(masks[0], proposals[0], proposals, q =>
        {
            var m = masks[q.Index];
            var l = new LogitMap(W, H);
            for (int i = 0; i < l.Data.Length; i++) l.Data[i] = m.Data[i] != 0 ? 5f : -5f;
            return l;
        });
    }

    [Fact]
    public void ACollapseAfterAnEdgeClickGivesWayToTheClosestProposalThatAgreesWithEveryClick()
    {
        var p = Answer();
        var kept = EdgeCorrection.Reconsider(p, [Centre, EdgeExclude], Selection);
        Assert.NotNull(kept);
        Assert.Equal(1, kept.Value.Proposal.Index); // 2 is closer but still holds the excluded pixel
        Assert.Equal(Selection.Subtract(EvalTestUtil.Disk(W, H, 58, 40, 5)).Data, kept.Value.Mask.Data);
    }

    [Fact]
    public void AClickDeepInsideOrAnAnswerThatKeepsTheSelectionStands()
    {
        var deep = new PointPrompt(30, 40, false);
        Assert.Null(EdgeCorrection.Reconsider(Answer(), [Centre, deep], Selection));
        var close = Selection.Subtract(EvalTestUtil.Disk(W, H, 58, 40, 8));
        Assert.True(close.IoU(Selection) >= EdgeCorrection.KeptIoU);
        Assert.Null(EdgeCorrection.Reconsider(Answer(close), [Centre, EdgeExclude], Selection));
    }

    [Fact]
    public void TheChainAnswersAnEdgeClickFromTheProposalThatKeepsTheSelection()
    {
        var first = Answer(Selection);
        var session = new ScriptedSession(W, H, first, Answer());
        var chain = new ClickChain(session);
        Assert.Equal(Selection.Data, chain.Predict([Centre]).Mask.Data);
        var r = chain.Predict([Centre, EdgeExclude]);
        Assert.Equal(1, r.Proposal.Index);
        Assert.Same(r.Proposal.LowResLogits, r.LowResLogits);
        Assert.True(r.Mask.IoU(Selection) > 0.9, $"IoU {r.Mask.IoU(Selection):0.000}");
    }
}

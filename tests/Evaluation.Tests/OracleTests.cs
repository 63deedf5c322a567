using SegPlugins.Core;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Evaluation.Tests;

/// <summary>The upper bounds of the model's own answers: <c>oracle-proposal</c> clicks and <c>--box-oracle</c> boxes.</summary>
public class OracleTests
{
    private static readonly Mask Left = FakeSegmentation.MaskOf("##....", "##....", "##....");
    private static readonly Mask Middle = FakeSegmentation.MaskOf("..##..", "..##..", "..##..");
    private static readonly Mask Wide = FakeSegmentation.MaskOf("####..", "####..", "####..");

    private static GroundTruth TruthOf(Mask m) => GroundTruth.FromMask(m);

    [Fact]
    public void EveryClickKeepsTheProposalClosestToTheTruthAndFeedsItsLogitsBack()
    {
        // The decoder chooses Left (index 0); the truth is Middle, which proposal 2 reads.
        var answer = FakeSegmentation.Readings(0, null, Left, Wide, Middle);
        var session = new ScriptedSession(6, 3, answer, answer);
        using var episode = ClickStrategies.Create(ClickStrategyKind.OracleProposal)
            .Begin(new ClickEpisodeContext(session, new BgraImage(6, 3), null, null, TruthOf(Middle)));

        var first = episode.Predict([PointPrompt.Include(2, 1)]);
        Assert.Equal(Middle.Data, first.Data);
        Assert.Null(session.Requests[0].MaskInput);

        episode.Predict([PointPrompt.Include(2, 1), PointPrompt.Exclude(0, 1)]);
        Assert.Equal(2, session.Requests[1].Points.Count);
        Assert.Same(answer.Proposals[2].LowResLogits, session.Requests[1].MaskInput);
    }

    [Fact]
    public void ATieKeepsTheModelsChoice()
    {
        // Left and Middle both miss the truth (the two right columns) completely: IoU 0 each.
        var answer = FakeSegmentation.Readings(1, null, Left, Middle);
        var (proposal, mask) = ClickStrategies.BestProposal(answer, TruthOf(FakeSegmentation.MaskOf("....##", "....##", "....##")));
        Assert.Equal(1, proposal.Index);
        Assert.Equal(Middle.Data, mask.Data);
    }

    [Fact]
    public void WithoutTheGroundTruthTheOracleSaysWhatItNeeds()
    {
        var session = new ScriptedSession(6, 3, FakeSegmentation.Readings(0, null, Left));
        var e = Assert.Throws<SegArgumentException>(() => ClickStrategies.Create(ClickStrategyKind.OracleProposal)
            .Begin(new ClickEpisodeContext(session, new BgraImage(6, 3), null)));
        Assert.Contains("ground truth", e.Message);
        Assert.Equal("oracle-proposal", ClickStrategies.Names[(int)ClickStrategyKind.OracleProposal]);
    }

    [Fact]
    public void TheBoxOracleScoresTheBestProposalAndTheDefaultTheModelsChoice()
    {
        using var d = new TempDataset();
        d.Add("r", 40, 30, 10, 8, 25, 20);
        var ds = SegmentationDataset.Open(d.Root);
        var truth = ds.Load(0).GroundTruth;
        // Proposal 0 (the decoder's choice) is the object's left half, proposal 1 the object itself.
        var half = new Mask(40, 30);
        var whole = new Mask(40, 30);
        for (int y = 8; y <= 20; y++)
            for (int x = 10; x <= 25; x++)
            {
                whole.Data[y * 40 + x] = Mask.On;
                if (x < 18) half.Data[y * 40 + x] = Mask.On;
            }
        var answer = FakeSegmentation.Readings(0, null, half, whole);

        double BoxIoU(bool oracle)
        {
            var options = new EvaluationOptions { Mode = EvaluationMode.Box, Box = new BoxPromptOptions { ColorRefine = false, ProposalOracle = oracle } };
            return new EvaluationRunner(new ScriptedSession(40, 30, answer), null, options).Run(ds).Images[0].TightBoxIoU!.Value;
        }
        Assert.Equal(SegmentationMetrics.IoU(truth, half), BoxIoU(false), 12);
        Assert.Equal(SegmentationMetrics.IoU(truth, whole), BoxIoU(true), 12);
        Assert.True(BoxIoU(true) > BoxIoU(false));
    }

    [Fact]
    public void TheBoxOracleRefusesColoursAndZoom()
    {
        var session = new ScriptedSession(6, 3, FakeSegmentation.Readings(0, null, Left));
        foreach (var box in new[] { new BoxPromptOptions { ProposalOracle = true }, new BoxPromptOptions { ProposalOracle = true, ColorRefine = false, ZoomExpansion = 2 } })
        {
            var e = Assert.Throws<SegArgumentException>(() => new EvaluationRunner(session, img => session, new EvaluationOptions { Box = box }));
            Assert.Contains("box proposal oracle", e.Message);
        }
    }
}

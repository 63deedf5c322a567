using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Refinement;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Editing;

public class SmallObjectGateTests
{
    // The colour scene is 120x90 (10800 px); the fake model answers a click with a disk of radius 22 (1513 px, a share
    // of 0.14, a box of 45 px), which the colour refinement grows to the ellipse around it.
    private static readonly PointPrompt First = new(50, 45), Far = new(100, 80), Out = new(70, 45, false);

    private static (Support.DiskSession Session, ColorFusion Fusion) Setup()
    {
        var (img, _, _) = ColorRefinerTests.Scene();
        var s = new Support.DiskSession(22);
        s.SetImage(img);
        return (s, new ColorFusion(img));
    }

    // The gate alone: the plain answers are compared with the plain engine's, so they are not merged (PlainMerge off).
    private static ClickChainOptions Gate(double below, SmallObjectMeasure measure = SmallObjectMeasure.AnswerShare, double returnAbove = 0) =>
        new() { SmallObject = new SmallObjectGateOptions { Measure = measure, Below = below, ReturnAbove = returnAbove }, PlainMerge = ProgressiveMergeOptions.Default };

    /// <summary>
    /// A chain with <paramref name="settings"/> answers every click of [First, Out, Far] as the plain engine does (the
    /// same masks, the model's own logits sent back with each later click), while one with <paramref name="fusedSettings"/>
    /// answers differently (so the equality says something).
    /// </summary>
    private static void AssertPlainEngineAtEveryClick(LogitMap? saliency, ClickChainOptions settings, ClickChainOptions fusedSettings)
    {
        PointPrompt[] clicks = [First, Out, Far];
        var (plainSession, _) = Setup();
        var plain = new ClickChain(plainSession);
        var (s, fusion) = Setup();
        var gated = new ClickChain(s, saliency, fusion: fusion, settings: settings);
        var fused = new ClickChain(Setup().Session, saliency, fusion: fusion, settings: fusedSettings);
        for (int n = 1; n <= clicks.Length; n++)
        {
            var expected = plain.Predict(clicks[..n]);
            var r = gated.Predict(clicks[..n]);
            Assert.True(gated.AnsweredPlain);
            Assert.Equal(expected.Mask.Data, r.Mask.Data);
            Assert.Same(r.Proposal.LowResLogits, r.LowResLogits);   // the model's own logits go back
            Assert.NotEqual(expected.Mask.Data, fused.Predict(clicks[..n]).Mask.Data);
            Assert.False(fused.AnsweredPlain);
        }
        // Every later click was sent with the previous answer's own logits, as the plain engine sends them.
        Assert.Equal(plainSession.Requests.Count, s.Requests.Count);
        for (int i = 1; i < s.Requests.Count; i++)
            Assert.Equal(plainSession.Requests[i].MaskInput!.Data, s.Requests[i].MaskInput!.Data);
    }

    [Theory]
    [InlineData(SmallObjectMeasure.AnswerShare, 0.2)]
    [InlineData(SmallObjectMeasure.LargestProposalShare, 0.2)]
    [InlineData(SmallObjectMeasure.AnswerMinSide, 50)]
    [InlineData(SmallObjectMeasure.AnswerMinSide1024, 400)]   // 45 px of a 120 px wide image is 384 in the model's frame
    [InlineData(SmallObjectMeasure.GuidedShare, 0.145)]       // the disk before colours (0.140) ...
    public void ASmallAnswerGetsThePlainEnginesAnswersAtEveryClick(SmallObjectMeasure measure, double below)
    {
        AssertPlainEngineAtEveryClick(null, Gate(below, measure), ClickChainOptions.Default);
    }

    [Theory]
    [InlineData(SmallObjectMeasure.AnswerShare, 0.1)]
    [InlineData(SmallObjectMeasure.AnswerMinSide, 40)]
    [InlineData(SmallObjectMeasure.AnswerMinSide1024, 350)]
    [InlineData(SmallObjectMeasure.RefinedShare, 0.145)]      // ... and the ellipse the colours grow it to
    public void ALargeAnswerGetsTheFusedChainsAnswers(SmallObjectMeasure measure, double below)
    {
        PointPrompt[] clicks = [First, Out];
        var (s, fusion) = Setup();
        var gated = new ClickChain(s, fusion: fusion, settings: Gate(below, measure));
        var fused = new ClickChain(Setup().Session, fusion: fusion);
        for (int n = 1; n <= clicks.Length; n++)
        {
            var r = gated.Predict(clicks[..n]);
            Assert.False(gated.AnsweredPlain);
            Assert.Equal(fused.Predict(clicks[..n]).Mask.Data, r.Mask.Data);
        }
        // The gate's look at the first answer is the prediction the chain goes on with: no extra decoder run.
        Assert.Equal(fused.DecoderRuns, gated.DecoderRuns);
    }

    [Fact]
    public void WithTheSubjectGuideTheGateReusesThePlainClick()
    {
        var map = new LogitMap(120, 90);
        for (int y = 20; y <= 70; y++) for (int x = 20; x <= 80; x++) map.Data[y * 120 + x] = 0.9f;
        var (s, fusion) = Setup();
        var ungated = new ClickChain(Setup().Session, map, fusion: fusion, settings: Gate(0));
        var large = new ClickChain(s, map, fusion: fusion, settings: Gate(0.1));
        var a = ungated.Predict([First]);
        var b = large.Predict([First]);
        Assert.Equal(a.Mask.Data, b.Mask.Data);
        Assert.Equal(a.SubjectBox, b.SubjectBox);
        Assert.Equal(ungated.DecoderRuns, large.DecoderRuns);

        var small = new ClickChain(Setup().Session, map, fusion: fusion, settings: Gate(0.2));
        var c = small.Predict([First]);
        Assert.True(small.AnsweredPlain);
        Assert.Null(c.SubjectBox);                               // no subject prior on the plain path
        Assert.Equal(FakeSegmentation.Disk(120, 90, 50, 45, 22).Data, c.Mask.Data);
        Assert.Equal(1, small.DecoderRuns);
    }

    [Fact]
    public void AnAnswerThatGrowsPastReturnAboveBringsTheColoursBack()
    {
        // Two disjoint disks: a share of 0.28 after the second click.
        PointPrompt[] clicks = [First, new(100, 45)];
        var (s, fusion) = Setup();
        var staying = new ClickChain(s, fusion: fusion, settings: Gate(0.2));
        var returning = new ClickChain(Setup().Session, fusion: fusion, settings: Gate(0.2, returnAbove: 0.25));
        var tooHigh = new ClickChain(Setup().Session, fusion: fusion, settings: Gate(0.2, returnAbove: 0.5));
        Assert.Equal(staying.Predict(clicks[..1]).Mask.Data, returning.Predict(clicks[..1]).Mask.Data);
        Assert.True(returning.AnsweredPlain);

        var plain = staying.Predict(clicks);
        var back = returning.Predict(clicks);
        Assert.True(staying.AnsweredPlain);
        Assert.False(returning.AnsweredPlain);
        Assert.NotEqual(plain.Mask.Data, back.Mask.Data);        // refined with colours
        Assert.NotSame(back.Proposal.LowResLogits, back.LowResLogits);
        Assert.Equal(plain.Mask.Data, tooHigh.Predict(clicks).Mask.Data);
        Assert.True(tooHigh.AnsweredPlain);

        // Changing the first click decides again.
        returning.Predict([new PointPrompt(51, 45)]);
        Assert.True(returning.AnsweredPlain);
    }

    [Fact]
    public void WithoutColourFusionTheGateChangesNothing()
    {
        PointPrompt[] clicks = [First, Out];
        var plain = new ClickChain(Setup().Session);
        var gated = new ClickChain(Setup().Session, settings: Gate(0.2));
        Assert.Equal(plain.Predict(clicks).Mask.Data, gated.Predict(clicks).Mask.Data);
        Assert.Equal(plain.DecoderRuns, gated.DecoderRuns);
        Assert.False(gated.AnsweredPlain);
    }

    [Theory]
    [InlineData(SmallObjectMeasure.AnswerShare, -0.1, 0, "small object below")]
    [InlineData(SmallObjectMeasure.AnswerShare, 1.5, 0, "share of the image")]
    [InlineData(SmallObjectMeasure.LargestProposalShare, double.NaN, 0, "small object below")]
    [InlineData(SmallObjectMeasure.AnswerMinSide, 64, -1, "small object return above")]
    [InlineData(SmallObjectMeasure.AnswerMinSide, 64, 32, "must be above")]
    [InlineData(SmallObjectMeasure.AnswerShare, 0.02, 0.02, "must be above")]
    [InlineData(SmallObjectMeasure.AnswerMinSide1024, 200_000, 0, "pixels")]
    [InlineData((SmallObjectMeasure)9, 0.01, 0, "not a measure")]
    public void BadThresholdsAreRefusedWithTheirName(SmallObjectMeasure measure, double below, double returnAbove, string expected)
    {
        var (s, fusion) = Setup();
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, fusion: fusion, settings: Gate(below, measure, returnAbove)));
        Assert.Contains(expected, e.Parameter + " " + e.Message);
    }

    [Fact]
    public void TheDefaultGateReadsTheGuidedAnswerAndTheRecordsOwnDefaultIsOff()
    {
        Assert.Equal(new SmallObjectGateOptions { Measure = SmallObjectMeasure.GuidedShare, Below = 0.01, SubjectAgreementBelow = 0.5, SubjectAgreementMaxShare = 0.25,
                                                  ExcludedSubjectDepth = 0.7, ExcludedSubjectAgreement = 0.85 },
            ClickChainOptions.Default.SmallObject);
        Assert.False(SmallObjectGateOptions.Default.Enabled);
        // A disk of radius 6 in the 120x90 scene is 113 px, a share of 0.0105; of radius 5, 81 px, 0.0075.
        var (img, _, _) = ColorRefinerTests.Scene();
        foreach (var (radius, plain) in new[] { (6.0, false), (5.0, true) })
        {
            var s = new Support.DiskSession(radius);
            s.SetImage(img);
            var chain = new ClickChain(s, fusion: new ColorFusion(img));
            chain.Predict([First]);
            Assert.Equal(plain, chain.AnsweredPlain);
        }
    }
    // Salient-object maps of the 120x90 scene: a region off the first click (the right edge), the disk the fake model
    // answers the click with (IoU 1), and a 61x51 rectangle around it (the disk's 1513 px are an IoU of 0.486 with it).
    private static LogitMap Map(Func<int, int, bool> salient)
    {
        var map = new LogitMap(120, 90);
        for (int y = 0; y < 90; y++) for (int x = 0; x < 120; x++) map.Data[y * 120 + x] = salient(x, y) ? 0.9f : 0.05f;
        return map;
    }

    private static LogitMap OffTheClick() => Map((x, _) => x >= 95);
    private static LogitMap TheDisk() => Map((x, y) => (x - 50) * (x - 50) + (y - 45) * (y - 45) <= 22 * 22);
    private static LogitMap AroundTheDisk() => Map((x, y) => x >= 20 && x <= 80 && y >= 20 && y <= 70);

    private static ClickChainOptions Subject(double below, double maxShare = 1) =>
        new() { SmallObject = new SmallObjectGateOptions { SubjectAgreementBelow = below, SubjectAgreementMaxShare = maxShare }, PlainMerge = ProgressiveMergeOptions.Default };

    [Fact]
    public void AClickOffTheSalientRegionGetsThePlainEnginesAnswersAtEveryClick()
    {
        AssertPlainEngineAtEveryClick(OffTheClick(), Subject(0.5), Subject(0));
    }

    [Theory]
    [InlineData(0.5, true)]     // the disk matches the rectangle by IoU 0.486: not the salient object
    [InlineData(0.45, false)]
    public void TheAnswersAgreementWithTheSalientRegionUnderTheClickDecides(double below, bool plain)
    {
        var (s, fusion) = Setup();
        var gated = new ClickChain(s, AroundTheDisk(), fusion: fusion, settings: Subject(below));
        var r = gated.Predict([First]);
        Assert.Equal(plain, gated.AnsweredPlain);
        Assert.Null(r.SubjectBox);
        var expected = plain ? FakeSegmentation.Disk(120, 90, 50, 45, 22) : new ClickChain(Setup().Session, AroundTheDisk(), fusion: fusion, settings: Subject(0)).Predict([First]).Mask;
        Assert.Equal(expected.Data, r.Mask.Data);
    }

    [Fact]
    public void AnAnswerOnTheSalientObjectOrLargerThanTheLimitKeepsTheFusedChain()
    {
        PointPrompt[] clicks = [First, Out];
        foreach (var (map, settings) in new[] { (TheDisk(), Subject(0.5)), (OffTheClick(), Subject(0.5, maxShare: 0.12)) })
        {
            var (s, fusion) = Setup();
            var gated = new ClickChain(s, map, fusion: fusion, settings: settings);
            var fused = new ClickChain(Setup().Session, map, fusion: fusion, settings: Subject(0));
            for (int n = 1; n <= clicks.Length; n++)
            {
                var r = gated.Predict(clicks[..n]);
                Assert.False(gated.AnsweredPlain);
                Assert.Equal(fused.Predict(clicks[..n]).Mask.Data, r.Mask.Data);
            }
        }
        // The disk's share is 0.140: a limit just above it lets the off-region click go plain again.
        var (s2, fusion2) = Setup();
        var above = new ClickChain(s2, OffTheClick(), fusion: fusion2, settings: Subject(0.5, maxShare: 0.15));
        above.Predict([First]);
        Assert.True(above.AnsweredPlain);
    }

    [Fact]
    public void WithoutASaliencyMapOrWithABoxTheSubjectConditionChangesNothing()
    {
        PointPrompt[] clicks = [First, Out];
        var (s, fusion) = Setup();
        var gated = new ClickChain(s, fusion: fusion, settings: Subject(0.5));
        var fused = new ClickChain(Setup().Session, fusion: fusion, settings: Subject(0));
        Assert.Equal(fused.Predict(clicks).Mask.Data, gated.Predict(clicks).Mask.Data);
        Assert.False(gated.AnsweredPlain);

        var box = new BoxXyxy(20, 15, 80, 75);
        var boxed = new ClickChain(Setup().Session, OffTheClick(), fusion: fusion, settings: Subject(0.5));
        var boxedFused = new ClickChain(Setup().Session, OffTheClick(), fusion: fusion, settings: Subject(0));
        Assert.Equal(boxedFused.Predict(clicks, box).Mask.Data, boxed.Predict(clicks, box).Mask.Data);
        Assert.False(boxed.AnsweredPlain);
    }

    [Fact]
    public void TheDefaultGateSendsAClickOffTheSalientRegionToThePlainEngine()
    {
        var (s, fusion) = Setup();
        var chain = new ClickChain(s, OffTheClick(), fusion: fusion);
        chain.Predict([First]);
        Assert.True(chain.AnsweredPlain);               // the disk, 14 % of the image, away from the salient region
        var on = new ClickChain(Setup().Session, TheDisk(), fusion: fusion);
        on.Predict([First]);
        Assert.False(on.AnsweredPlain);
    }

    [Theory]
    [InlineData(1.5, 1, "small object subject agreement below")]
    [InlineData(-0.1, 1, "small object subject agreement below")]
    [InlineData(0.5, 0, "small object subject agreement max share")]
    [InlineData(0.5, double.NaN, "small object subject agreement max share")]
    [InlineData(0.5, 1.2, "above 0 and at most 1")]
    public void BadSubjectAgreementSettingsAreRefusedWithTheirName(double below, double maxShare, string expected)
    {
        var (s, fusion) = Setup();
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, fusion: fusion, settings: Subject(below, maxShare)));
        Assert.Contains(expected, e.Parameter + " " + e.Message);
    }

    // The first correction: an exclude click at the disk's centre, as deep inside the first selection as a click gets.
    private static readonly PointPrompt Deep = new(51, 45, false);

    private static ClickChainOptions Excluded(double depth, double agreement) =>
        new() { SmallObject = new SmallObjectGateOptions { ExcludedSubjectDepth = depth, ExcludedSubjectAgreement = agreement } };

    [Fact]
    public void ADeepExcludeInTheSalientObjectTurnsTheChainPlainFromTheFirstClickOn()
    {
        PointPrompt[] clicks = [First, Deep, Far];
        var (plainSession, _) = Setup();
        var plain = new ClickChain(plainSession);
        var (s, fusion) = Setup();
        var chain = new ClickChain(s, TheDisk(), fusion: fusion, settings: Excluded(0.5, 0.9));
        var fused = new ClickChain(Setup().Session, TheDisk(), fusion: fusion, settings: Subject(0));

        var first = chain.Predict(clicks[..1]);
        Assert.False(chain.AnsweredPlain);
        Assert.Equal(fused.Predict(clicks[..1]).Mask.Data, first.Mask.Data);
        Assert.NotEqual(plain.Predict(clicks[..1]).Mask.Data, first.Mask.Data);   // the colours grew the disk

        for (int n = 2; n <= clicks.Length; n++)
        {
            var expected = plain.Predict(clicks[..n]);
            var r = chain.Predict(clicks[..n]);
            Assert.True(chain.AnsweredPlain);
            Assert.Equal(expected.Mask.Data, r.Mask.Data);
            // What went back with the click is the plain engine's: its own first answer's logits, then its own.
            Assert.Equal(plainSession.Requests[^1].MaskInput!.Data, s.Requests[^1].MaskInput!.Data);
            Assert.NotEqual(expected.Mask.Data, fused.Predict(clicks[..n]).Mask.Data);
        }
        // Taking the correction back shows the first selection as it was.
        Assert.Equal(first.Mask.Data, chain.Predict(clicks[..1]).Mask.Data);
        Assert.False(chain.AnsweredPlain);
    }

    [Theory]
    [InlineData(0.5, 0.9, true)]
    [InlineData(0.5, 1, true)]      // the guided answer is the salient region itself: IoU 1
    [InlineData(0, 0, false)]       // off
    public void TheConditionIsOffUnlessSet(double depth, double agreement, bool plain)
    {
        var (s, fusion) = Setup();
        var chain = new ClickChain(s, TheDisk(), fusion: fusion, settings: Excluded(depth, agreement));
        chain.Predict([First, Deep]);
        Assert.Equal(plain, chain.AnsweredPlain);
        Assert.False(SmallObjectGateOptions.Default.ExcludedSubjectDepth > 0);
    }

    [Fact]
    public void AnExcludeNearTheEdgeAMapThatDisagreesOrAnIncludeKeepTheFusedChain()
    {
        foreach (var (map, clicks) in new[]
                 {
                     (TheDisk(), new[] { First, Out }),                 // an exclude click near the edge
                     (AroundTheDisk(), new[] { First, Deep }),          // the guided answer is not the salient region (IoU 0.486)
                     (TheDisk(), new[] { First, new PointPrompt(52, 45) }),   // an include click
                 })
        {
            var (s, fusion) = Setup();
            var chain = new ClickChain(s, map, fusion: fusion, settings: Excluded(0.5, 0.9));
            var fused = new ClickChain(Setup().Session, map, fusion: fusion, settings: Subject(0));
            Assert.Equal(fused.Predict(clicks).Mask.Data, chain.Predict(clicks).Mask.Data);
            Assert.False(chain.AnsweredPlain);
        }
    }

    [Theory]
    [InlineData(-0.1, 0.5, "small object excluded subject depth")]
    [InlineData(1, 0.5, "small object excluded subject depth")]
    [InlineData(0.5, double.NaN, "small object excluded subject agreement")]
    public void BadExcludedSubjectSettingsAreRefusedWithTheirName(double depth, double agreement, string expected)
    {
        var (s, fusion) = Setup();
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, fusion: fusion, settings: Excluded(depth, agreement)));
        Assert.Contains(expected, e.Parameter + " " + e.Message);
    }

    [Fact]
    public void PlainMergeServesTheGatesPlainAnswersAndMergeTheOthers()
    {
        var merge = new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 2, EdgeDepth = 0.25 };
        PointPrompt[] clicks = [First, Out];
        var plain = new ClickChain(Setup().Session);
        var first = plain.Predict(clicks[..1]).Mask;
        var answer = plain.Predict(clicks).Mask;
        var expected = ProgressiveMerge.Merge(first, answer, Out, merge);
        Assert.NotEqual(answer.Data, expected.Data);   // the exclude click 2 px inside the edge: the band keeps the rest

        var (s, fusion) = Setup();
        var gated = new ClickChain(s, OffTheClick(), fusion: fusion, settings: Subject(0.5) with { PlainMerge = merge });
        Assert.Equal(expected.Data, gated.Predict(clicks).Mask.Data);
        Assert.True(gated.AnsweredPlain);

        // Merge, even for every chain, leaves the gate's plain answers alone; PlainMerge leaves the fused ones alone.
        var notPlain = new ClickChain(Setup().Session, OffTheClick(), fusion: fusion, settings: Subject(0.5) with { Merge = merge });
        Assert.Equal(answer.Data, notPlain.Predict(clicks).Mask.Data);
        var fused = new ClickChain(Setup().Session, TheDisk(), fusion: fusion, settings: Subject(0));
        var fusedWithPlainMerge = new ClickChain(Setup().Session, TheDisk(), fusion: fusion, settings: Subject(0) with { PlainMerge = merge });
        Assert.Equal(fused.Predict(clicks).Mask.Data, fusedWithPlainMerge.Predict(clicks).Mask.Data);

        // The default settings merge the gate's plain answers with PlainEdgeMerge (the click is 2 px, under 0.15 of the depth, from the edge).
        var byDefault = new ClickChain(Setup().Session, OffTheClick(), fusion: fusion);
        Assert.Equal(ProgressiveMerge.Merge(first, answer, Out, ClickChainOptions.PlainEdgeMerge).Data, byDefault.Predict(clicks).Mask.Data);
        Assert.Equal(new ProgressiveMergeOptions { FromClick = 2, EdgeBand = 2, EdgeDepth = 0.15, IgnoredClickTakesAnswer = true }, ClickChainOptions.Default.PlainMerge);
    }

    [Fact]
    public void ABadPlainMergeIsRefusedWithItsName()
    {
        var (s, fusion) = Setup();
        var e = Assert.Throws<SegArgumentException>(() => new ClickChain(s, fusion: fusion, settings: new ClickChainOptions { PlainMerge = new ProgressiveMergeOptions { EdgeDepth = 2 } }));
        Assert.Contains("merge edge depth", e.Parameter + " " + e.Message);
    }

    [Theory]
    [InlineData(300, 250, 0.5f)]    // 75000 px: two stripes, the second partial
    [InlineData(7, 5, 0.3f)]
    [InlineData(256, 256, 0.5f)]    // exactly one stripe
    public void TheSubjectAgreementEqualsTheIoUWithTheThresholdedMap(int w, int h, float threshold)
    {
        var rng = new Random(w * 31 + h);
        var guided = new Mask(w, h);
        var map = new LogitMap(w, h);
        for (int i = 0; i < w * h; i++)
        {
            guided.Data[i] = rng.NextDouble() < 0.4 ? Mask.On : Mask.Off;
            map.Data[i] = (float)rng.NextDouble();
        }
        Assert.Equal(guided.IoU(map.ToMask(threshold)), SmallObjectGateOptions.SubjectAgreement(guided, map, threshold), 12);
        // Nothing on either side: an IoU of 1, as Mask.IoU says.
        Assert.Equal(1.0, SmallObjectGateOptions.SubjectAgreement(new Mask(w, h), new LogitMap(w, h), threshold));
        Assert.Throws<SegArgumentException>(() => SmallObjectGateOptions.SubjectAgreement(new Mask(w + 1, h), map, threshold));
    }
}

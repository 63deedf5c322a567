using SegPlugins.Core;
using SegPlugins.Core.Tests.Support;
using Xunit;
using SegPlugins.Evaluation;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Editing;

namespace SegPlugins.Evaluation.Tests;

public class SubjectGuidanceTests
{
    // A 60x40 image whose salient object is the rectangle x 10..29, y 8..27 (20x20); the fake model paints a
    // disk of radius 4 around a click, so a click alone covers a small part of the object.
    private const int W = 60, H = 40;

    private static LogitMap RectSaliency(int x0, int y0, int x1, int y1, float level = 0.9f)
    {
        var map = new LogitMap(W, H);
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) map.Data[y * W + x] = level;
        return map;
    }

    private static DiskSession Session(bool boxIgnoresPoints = false)
    {
        var s = new DiskSession(4) { BoxIgnoresPoints = boxIgnoresPoints };
        s.SetImage(new BgraImage(W, H));
        return s;
    }

    // The fake model sees only a disk around a click, never the whole rectangle, so the default proposal gate
    // (the box reading must overlap one of the click's own proposals) turns its box reading down; these tests of the
    // guide itself run without that gate.
    private static readonly SubjectGuidanceOptions Ungated = SubjectGuidanceOptions.Default with { MinProposalAgreement = 0 };

    [Fact]
    public void AClickOnTheSubjectTakesTheSubjectsBox()
    {
        var s = Session();
        var r = SubjectGuidance.FirstClick(s, new PointPrompt(20, 18), RectSaliency(10, 8, 29, 27), Ungated);
        Assert.True(r.Guided);
        // Pixel corners: the box encloses the last salient pixel.
        Assert.Equal(new BoxXyxy(10, 8, 30, 28), r.Box);
        Assert.Equal(2, s.Requests.Count);
        Assert.Null(s.Requests[0].Box);
        Assert.Equal(r.Box, s.Requests[1].Box);
        var region = RectSaliency(10, 8, 29, 27).ToMask(0.5f);
        Assert.True(r.Mask.IoU(region) > 0.9);

        // With the default gate the model's own readings (a disk) do not see the box's reading: the plain answer stays.
        var gated = SubjectGuidance.FirstClick(Session(), new PointPrompt(20, 18), RectSaliency(10, 8, 29, 27));
        Assert.Equal(0.5, SubjectGuidanceOptions.Default.MinProposalAgreement);
        Assert.False(gated.Guided);
        Assert.Equal(FakeSegmentation.Disk(W, H, 20, 18, 4).Data, gated.Mask.Data);
    }

    [Fact]
    public void WithoutASubjectUnderTheClickThePlainAnswerStays()
    {
        foreach (var (map, click) in new[]
        {
            (new LogitMap(W, H), new PointPrompt(20, 18)),             // nothing salient at all
            (RectSaliency(10, 8, 29, 27), new PointPrompt(50, 30)),    // the click is off the subject
            (RectSaliency(10, 8, 29, 27, level: 0.3f), new PointPrompt(20, 18)), // below the threshold
        })
        {
            var s = Session();
            var r = SubjectGuidance.FirstClick(s, click, map);
            Assert.False(r.Guided);
            Assert.Null(r.Box);
            Assert.Equal(FakeSegmentation.Disk(W, H, click.X, click.Y, 4).Data, r.Mask.Data);
        }
    }

    [Fact]
    public void APlainAnswerThatAlreadyAgreesIsKept()
    {
        // The subject is about the size of the click's disk: the plain mask agrees within the required gain.
        var s = Session();
        var r = SubjectGuidance.FirstClick(s, new PointPrompt(20, 18), RectSaliency(17, 15, 23, 21), new SubjectGuidanceOptions { MinAgreementGain = 0.5 });
        Assert.False(r.Guided);
        Assert.Null(r.Box);
    }

    [Theory]
    [InlineData(0.85f, 0.0, 0.0, true)]
    [InlineData(0.95f, 0.0, 0.0, false)]  // the clicked pixel is salient at 0.9 only
    [InlineData(0.0f, 0.85, 0.0, true)]   // the box reading matches the region at 400/441
    [InlineData(0.0f, 0.95, 0.0, false)]
    [InlineData(0.0f, 0.0, 0.1, true)]    // the click's own disk overlaps the box reading by 49/441
    [InlineData(0.0f, 0.0, 0.2, false)]
    public void TheGatesKeepThePlainAnswerWhereThePriorIsDoubtful(float clickSaliency, double regionAgreement, double proposalAgreement, bool guided)
    {
        var s = Session();
        var options = new SubjectGuidanceOptions { MinClickSaliency = clickSaliency, MinRegionAgreement = regionAgreement, MinProposalAgreement = proposalAgreement };
        var r = SubjectGuidance.FirstClick(s, new PointPrompt(20, 18), RectSaliency(10, 8, 29, 27), options);
        Assert.Equal(guided, r.Guided);
        Assert.Equal(guided, r.Box is not null);
        if (!guided) Assert.Equal(FakeSegmentation.Disk(W, H, 20, 18, 4).Data, r.Mask.Data);
    }

    [Fact]
    public void BadSaliencyAndOptionsAreNamed()
    {
        var s = Session();
        var e = Assert.Throws<SegArgumentException>(() => SubjectGuidance.FirstClick(s, new PointPrompt(1, 1), new LogitMap(W + 1, H)));
        Assert.Equal("saliency", e.Parameter);
        Assert.Contains($"{W}x{H}", e.Message);
        e = Assert.Throws<SegArgumentException>(() => SubjectGuidance.FirstClick(s, new PointPrompt(1, 1), new LogitMap(W, H), new SubjectGuidanceOptions { SaliencyThreshold = 1.5f }));
        Assert.Equal("saliency threshold", e.Parameter);
        e = Assert.Throws<SegArgumentException>(() => SubjectGuidance.FirstClick(s, new PointPrompt(1, 1), new LogitMap(W, H), new SubjectGuidanceOptions { MinRegionAgreement = 2 }));
        Assert.Equal("min region agreement", e.Parameter);
        e = Assert.Throws<SegArgumentException>(() => SubjectGuidance.NextClick(s, [], null, null));
        Assert.Equal("clicks", e.Parameter);
    }

    [Fact]
    public void APositiveClickOutsideTheBoxWidensIt()
    {
        var s = Session();
        var box = new BoxXyxy(10, 8, 30, 28);
        var (p, next) = SubjectGuidance.NextClick(s, [new PointPrompt(20, 18), new PointPrompt(45, 12)], box, null);
        Assert.Equal(new BoxXyxy(10, 8, 46, 28), next);
        Assert.Equal(next, Assert.Single(s.Requests).Box);
        Assert.True(SubjectGuidance.Agrees(p.Mask, new PointPrompt(45, 12)));
        // A negative click leaves the box alone.
        Assert.Equal(box, SubjectGuidance.Widen(box, new PointPrompt(50, 35, false)));
    }

    [Fact]
    public void ABoxThatContradictsTheNewestClickIsDropped()
    {
        // This model predicts the box and ignores points when a box is given: a negative click inside the box
        // stays selected, so the box is dropped and the clicks alone decide.
        var s = Session(boxIgnoresPoints: true);
        var clicks = new[] { new PointPrompt(20, 18), new PointPrompt(12, 10, false) };
        var (p, next) = SubjectGuidance.NextClick(s, clicks, new BoxXyxy(10, 8, 30, 28), null);
        Assert.Null(next);
        Assert.Equal(2, s.Requests.Count);
        Assert.NotNull(s.Requests[0].Box);
        Assert.Null(s.Requests[1].Box);
        Assert.False(SubjectGuidance.Agrees(p.Mask, new PointPrompt(20, 30))); // far from the positive click
        Assert.True(SubjectGuidance.Agrees(p.Mask, clicks[1]));
    }

    [Fact]
    public void StrategyNeedsASaliencyModelAndComputesItOncePerImage()
    {
        var s = Session();
        var e = Assert.Throws<SegArgumentException>(() => ClickStrategies.Create(ClickStrategyKind.SubjectGuided).Begin(new ClickEpisodeContext(s, new BgraImage(W, H), null)));
        Assert.Contains("u2netp", e.Message);

        using var d = new TempDataset();
        d.Add("a", W, H, 10, 8, 29, 27);
        var ds = SegmentationDataset.Open(d.Root);
        int calls = 0;
        var runner = new EvaluationRunner(new DiskSession(4), null, new EvaluationOptions
        {
            Mode = EvaluationMode.Clicks,
            Strategies = [ClickStrategies.Create(ClickStrategyKind.SubjectGuided, null, new ClickChainOptions { Subject = Ungated }), ClickStrategies.Create(ClickStrategyKind.FeedbackLogits)],
            MaxClicks = 3,
        }, (img, _) => { calls++; return RectSaliency(10, 8, 29, 27); });
        var result = runner.Run(ds);
        Assert.Equal(1, calls);
        var guided = result.Images[0].Strategies[0];
        var plain = result.Images[0].Strategies[1];
        // The subject's box selects the object (and the 1 px the fake adds at the box's far edges): far above a lone disk.
        Assert.True(guided.IoUs[0] > 0.8, $"guided first click IoU {guided.IoUs[0]}");
        Assert.True(plain.IoUs[0] < 0.2, $"plain first click IoU {plain.IoUs[0]}");
    }

    [Fact]
    public void OverlapKernelMatchesAPlainCount()
    {
        var rng = new Random(7);
        // Lengths around vector multiples and past the kernel's 255-step block, with sparse and dense planes.
        foreach (int n in new[] { 0, 1, 31, 32, 33, 255 * 32 + 5, 70_001 })
            foreach (double density in new[] { 0.02, 0.5, 0.97 })
            {
                var a = new byte[n];
                var b = new byte[n];
                for (int i = 0; i < n; i++)
                {
                    a[i] = rng.NextDouble() < density ? (byte)rng.Next(1, 256) : (byte)0;
                    b[i] = rng.NextDouble() < density ? (byte)255 : (byte)0;
                }
                long inter = 0, union = 0;
                for (int i = 0; i < n; i++)
                {
                    if (a[i] != 0 && b[i] != 0) inter++;
                    if (a[i] != 0 || b[i] != 0) union++;
                }
                OverlapKernel.IntersectionUnion(a, b, out long gi, out long gu);
                Assert.Equal((inter, union), (gi, gu));
            }
    }

    [Fact]
    public void MaskIoUChecksSizes()
    {
        var a = FakeSegmentation.MaskOf("##..", "##..");
        var b = FakeSegmentation.MaskOf("#...", "#..#");
        Assert.Equal(2.0 / 5.0, a.IoU(b), 12);
        Assert.Equal(1.0, new Mask(3, 3).IoU(new Mask(3, 3)));
        var e = Assert.Throws<SegArgumentException>(() => a.IoU(new Mask(4, 3)));
        Assert.Contains("4x3", e.Message);
    }
}

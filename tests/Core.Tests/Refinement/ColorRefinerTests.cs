using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Support;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Core.Tests.Refinement;

public class ColorRefinerTests
{
    private const int W = 120, H = 90;

    /// <summary>The scenes here are small; boxes on them are refined whatever their size (<see cref="ColorRefineOptions.MinBoxSide"/>).</summary>
    private static readonly ColorRefineOptions AnyBox = new() { MinBoxSide = 0 };

    /// <summary>
    /// Noisy green background, a red ellipse (the object) and, far from it, a red disc of the same colours (a
    /// look-alike). Returns the image and the object's mask.
    /// </summary>
    internal static (BgraImage Image, Mask Object, Mask Decoy) Scene(int seed = 1)
    {
        var img = new BgraImage(W, H);
        var obj = new Mask(W, H);
        var decoy = new Mask(W, H);
        var rng = new Random(seed);
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                double ex = (x - 50) / 28.0, ey = (y - 45) / 20.0;
                bool inObj = ex * ex + ey * ey <= 1;
                bool inDecoy = (x - 105) * (x - 105) + (y - 12) * (y - 12) <= 36;
                var px = img.Row(y).Slice(x * 4, 4);
                int n = rng.Next(-20, 21);
                if (inObj || inDecoy) { px[2] = (byte)(200 + n / 2); px[1] = (byte)(50 + n); px[0] = (byte)(40 + n); }
                else { px[2] = (byte)(60 + n); px[1] = (byte)(150 + n); px[0] = (byte)(90 + n); }
                px[3] = 255;
                if (inObj) obj.Data[y * W + x] = Mask.On;
                if (inDecoy) decoy.Data[y * W + x] = Mask.On;
            }
        }
        return (img, obj, decoy);
    }

    /// <summary>Logits of +v inside the rectangle and -v outside: a model that filled the object's box.</summary>
    private static LogitMap RectLogits(int x0, int y0, int x1, int y1, float v = 6f)
    {
        var l = new LogitMap(W, H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                l.Data[y * W + x] = x >= x0 && x < x1 && y >= y0 && y < y1 ? v : -v;
        return l;
    }

    [Fact]
    public void AModelThatFilledTheBoxIsCutBackToTheObject()
    {
        var (img, obj, decoy) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        Assert.InRange(logits.ToMask().IoU(obj), 0.7, 0.82);
        var refined = ColorRefiner.Refine(img, logits);
        Assert.True(refined.IoU(obj) >= 0.95, $"IoU {refined.IoU(obj):0.000}");
        // The look-alike is not connected to the model's answer and stays out.
        Assert.Equal(0, refined.Intersect(decoy).Area());
    }

    [Fact]
    public void ABoxKeepsEverythingOutsideItUnselected()
    {
        var (img, obj, _) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        var box = new BoxXyxy(20, 20, 60, 70);
        var refined = ColorRefiner.Refine(img, logits, new ColorRefineInput { Box = box }, AnyBox);
        // The box's pixels are floor(X0)..floor(X1): its corners may be inclusive pixels or continuous edges.
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                if (x > 60 || y > 70 || x < 20 || y < 20) Assert.Equal(Mask.Off, refined.Data[y * W + x]);
        var inside = new Mask(W, H);
        for (int y = 20; y <= 70; y++) for (int x = 20; x <= 60; x++) inside.Data[y * W + x] = Mask.On;
        Assert.True(refined.IoU(obj.Intersect(inside)) >= 0.93, $"IoU {refined.IoU(obj.Intersect(inside)):0.000}");
    }

    [Fact]
    public void ClicksHoldTheirDiscsAgainstColoursAndModel()
    {
        var (img, obj, _) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        var options = new ColorRefineOptions { ClickRadius = 4 };
        // A negative click in the object's middle and a positive one on the background, away from everything.
        var clicks = new[] { PointPrompt.Exclude(50, 45), PointPrompt.Include(10, 80) };
        var refined = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = clicks }, options);
        Assert.Equal(Mask.Off, refined.Data[45 * W + 50]);
        Assert.Equal(Mask.Off, refined.Data[45 * W + 53]);
        Assert.Equal(Mask.On, refined.Data[80 * W + 10]);
        Assert.Equal(Mask.On, refined.Data[80 * W + 13]);
        // The rest of the object is still selected.
        Assert.True(refined.Intersect(obj).Area() > obj.Area() * 0.9);
    }

    [Fact]
    public void AWorkingGridBelowTheRegionSizeGivesNearlyTheSameSelection()
    {
        var (img, obj, _) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        var full = ColorRefiner.Refine(img, logits);
        var coarse = ColorRefiner.Refine(img, logits, options: new ColorRefineOptions { MaxWorkingPixels = 1500 });
        Assert.True(coarse.IoU(full) >= 0.9, $"IoU {coarse.IoU(full):0.000}");
        Assert.True(coarse.IoU(obj) >= 0.92, $"IoU {coarse.IoU(obj):0.000}");
    }

    [Fact]
    public void SaliencyDecidesBetweenRegionsOfTheSameColour()
    {
        // Two touching red rectangles; the model weakly selects both, the saliency map only the left one. A red
        // band down each side, apart from them, makes red a background colour too, so colour alone cannot tell.
        var img = new BgraImage(W, H);
        var left = new Mask(W, H);
        var sal = new LogitMap(W, H);
        var logits = new LogitMap(W, H);
        var rng = new Random(3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                bool inLeft = x >= 20 && x < 60 && y >= 20 && y < 62, inRight = x >= 60 && x < 100 && y >= 20 && y < 62, band = x < 14 || x >= 106;
                int n = rng.Next(-15, 16);
                var px = img.Row(y).Slice(x * 4, 4);
                if (inLeft || inRight || band) { px[2] = (byte)(200 + n); px[1] = (byte)(60 + n); px[0] = (byte)(50 + n); }
                else { px[2] = (byte)(40 + n); px[1] = (byte)(140 + n); px[0] = (byte)(160 + n); }
                px[3] = 255;
                if (inLeft) left.Data[y * W + x] = Mask.On;
                sal.Data[y * W + x] = inLeft ? 0.95f : 0.02f;
                logits.Data[y * W + x] = inLeft || inRight ? 1f : -6f;
            }
        var click = PointPrompt.Include(40, 45);
        var plain = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [click] });
        var guided = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [click], Saliency = sal });
        Assert.True(plain.IoU(left) < 0.6, $"without saliency IoU {plain.IoU(left):0.000}");
        Assert.True(guided.IoU(left) >= 0.95, $"with saliency IoU {guided.IoU(left):0.000}");
    }

    [Fact]
    public void SaliencyIsDroppedWhenTheClicksContradictIt()
    {
        var sal = new LogitMap(W, H);
        for (int y = 0; y < H; y++) for (int x = 0; x < 60; x++) sal.Data[y * W + x] = 0.9f;
        var model = new Mask(W, H);
        for (int y = 10; y < 80; y++) for (int x = 5; x < 55; x++) model.Data[y * W + x] = Mask.On;
        Assert.Same(sal, ColorRefiner.SaliencyInUse(new ColorRefineInput { Saliency = sal, Clicks = [new(30, 40)] }, model));
        // A positive click where the map sees nothing, or a negative one on the salient part.
        Assert.Null(ColorRefiner.SaliencyInUse(new ColorRefineInput { Saliency = sal, Clicks = [new(30, 40), new(90, 40)] }, model));
        Assert.Null(ColorRefiner.SaliencyInUse(new ColorRefineInput { Saliency = sal, Clicks = [new(30, 40), PointPrompt.Exclude(20, 20)] }, model));
        // With a box: used when its salient part matches the model's mask, not when it does not.
        Assert.Same(sal, ColorRefiner.SaliencyInUse(new ColorRefineInput { Saliency = sal, Box = new BoxXyxy(5, 10, 55, 80) }, model));
        var other = new Mask(W, H);
        for (int y = 10; y < 80; y++) for (int x = 60; x < 110; x++) other.Data[y * W + x] = Mask.On;
        Assert.Null(ColorRefiner.SaliencyInUse(new ColorRefineInput { Saliency = sal, Box = new BoxXyxy(30, 10, 110, 80) }, other));
    }

    [Fact]
    public void ColoursShareWithTheBackgroundDoNotPunchHolesIntoTheObject()
    {
        // A red object with a green patch inside (the background's colour, like a spoon reflecting the table).
        var (img, obj, _) = Scene();
        var patch = FakeSegmentation.Disk(W, H, 50, 45, 6);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                if (patch.Data[y * W + x] != 0) { var px = img.Row(y).Slice(x * 4, 4); px[2] = 60; px[1] = 150; px[0] = 90; }
        var logits = new LogitMap(W, H);
        for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = obj.Data[i] != 0 ? 2f : -6f;
        var refined = ColorRefiner.Refine(img, logits);
        Assert.Equal(patch.Area(), refined.Intersect(patch).Area());
        // A negative click in the patch says it is a hole after all.
        var holed = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [PointPrompt.Exclude(50, 45)] });
        Assert.True(holed.Intersect(patch).Area() < patch.Area() / 4, $"{holed.Intersect(patch).Area()} of {patch.Area()}");
    }

    [Fact]
    public void AFlatRegionKeepsTheModelsAnswer()
    {
        var img = new BgraImage(40, 30);
        img.Pixels.AsSpan().Fill(128);
        var logits = new LogitMap(40, 30);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) logits.Data[y * 40 + x] = x >= 10 && x < 25 && y >= 5 && y < 20 ? 3f : -3f;
        Assert.Equal(logits.ToMask().Data, ColorRefiner.Refine(img, logits).Data);
    }

    [Fact]
    public void SameInputSameSelection()
    {
        var (img, _, _) = Scene(7);
        var logits = RectLogits(22, 25, 79, 66);
        var a = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [new(50, 45)] });
        var b = ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [new(50, 45)] });
        Assert.Equal(a.Data, b.Data);
    }

    [Fact]
    public void NothingSelectedAndNoPromptLeavesNothingToRefine()
    {
        var (img, _, _) = Scene();
        var logits = RectLogits(0, 0, 0, 0);
        Assert.Equal(0, ColorRefiner.Refine(img, logits).Area());
        // A negative click alone does not select anything either.
        Assert.Equal(0, ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [PointPrompt.Exclude(5, 5)] }).Area());
    }

    [Fact]
    public void BadInputsAreRefusedWithTheirNames()
    {
        var (img, _, _) = Scene();
        var small = new LogitMap(W - 1, H);
        var e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, small));
        Assert.Contains("logits", e.Message);
        Assert.Contains($"{W - 1}x{H}", e.Message);
        var logits = RectLogits(22, 25, 79, 66);
        e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, new ColorRefineInput { Saliency = new LogitMap(10, 10) }));
        Assert.Contains("saliency", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, new ColorRefineInput { Clicks = [new(W + 5, 3)] }));
        Assert.Contains("outside", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, options: new ColorRefineOptions { Rounds = 0 }));
        Assert.Contains("rounds", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, options: new ColorRefineOptions { ModelTemperature = 0 }));
        Assert.Contains("temperature", e.Message);
        e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, options: new ColorRefineOptions { MaxWorkingPixels = 10 }));
        Assert.Contains("working pixels", e.Message);
    }

    [Fact]
    public void OnePixelImage()
    {
        var img = new BgraImage(1, 1);
        var logits = new LogitMap(1, 1, [3f]);
        Assert.Equal(1, ColorRefiner.Refine(img, logits).Area());
    }

    [Fact]
    public void FeedbackFlipsOnlyTheCellsTheEditChanged()
    {
        // 512x256 image: the model frame is 1024x512, so low-res cells 0..255 x 0..127 cover the image.
        int w = 512, h = 256;
        var low = new LogitMap(256, 256);
        Array.Fill(low.Data, -5f);
        var sel = new Mask(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < 256; x++) sel.Data[y * w + x] = Mask.On;
        var fed = MaskFeedback.FromSelection(sel, low);
        Assert.Equal(MaskFeedback.FlippedLogit + 0.5f, fed[10, 10]);      // inside the edit
        Assert.Equal(-5f, fed[200, 10]);                                   // outside it, the model's own value
        Assert.Equal(-5f, fed[10, 200]);                                   // the padding below the image
        Assert.Equal(-5f, low[10, 10]);                                    // the input is not touched
        var agreeing = MaskFeedback.FromSelection(new Mask(w, h), low);
        Assert.Equal(low.Data, agreeing.Data);
        Assert.Throws<SegArgumentException>(() => MaskFeedback.FromSelection(sel, new LogitMap(64, 64)));
    }

    [Fact]
    public void AFusedChainCanFeedTheModelsLogitsBackOrKeepTheModelsAnswerWhereColoursMovedFar()
    {
        var (img, obj, _) = Scene();
        var session = new DiskSession(22);
        session.SetImage(img);
        var disk = FakeSegmentation.Disk(W, H, 50, 45, 22);
        // The model's own logits go back, while the selection shown is still the refined one.
        var modelFed = new ClickChain(session, fusion: new ColorFusion(img), settings: new ClickChainOptions { Feedback = FusionFeedback.ModelLogits })
            .Predict([new PointPrompt(50, 45)]);
        Assert.Same(modelFed.Proposal.LowResLogits, modelFed.LowResLogits);
        Assert.True(modelFed.Mask.IoU(obj) >= 0.9);
        // The refined selection moves far from the disk (IoU under 0.99 with it): with the gate the disk stands, exactly.
        Assert.True(modelFed.Mask.IoU(disk) < 0.99);
        var gated = new ClickChain(session, fusion: new ColorFusion(img), settings: new ClickChainOptions { ClickColorMinAgreement = 0.99 })
            .Predict([new PointPrompt(50, 45)]);
        Assert.Equal(disk.Data, gated.Mask.Data);
        Assert.Same(gated.Proposal.LowResLogits, gated.LowResLogits);
        var loose = new ClickChain(session, fusion: new ColorFusion(img), settings: new ClickChainOptions { ClickColorMinAgreement = 0.01 })
            .Predict([new PointPrompt(50, 45)]);
        Assert.Equal(modelFed.Mask.Data, loose.Mask.Data);
        Assert.Throws<SegArgumentException>(() => new ClickChain(session, settings: new ClickChainOptions { ClickColorMinAgreement = 2 }));
    }

    [Fact]
    public void AFusedChainRefinesEveryAnswerAndFeedsTheRefinedSelectionBack()
    {
        var (img, obj, _) = Scene();
        var session = new DiskSession(22);
        session.SetImage(img);
        var chain = new ClickChain(session, fusion: new ColorFusion(img));
        Assert.True(chain.Fused);
        var first = chain.Predict([new PointPrompt(50, 45)]);
        var disk = FakeSegmentation.Disk(W, H, 50, 45, 22);
        Assert.True(disk.IoU(obj) < 0.8);
        Assert.True(first.Mask.IoU(obj) >= 0.9, $"IoU {first.Mask.IoU(obj):0.000}");
        Assert.NotSame(first.Proposal.LowResLogits, first.LowResLogits);
        var second = chain.Predict([new PointPrompt(50, 45), new PointPrompt(30, 45)]);
        Assert.Same(first.LowResLogits, session.Requests[1].MaskInput);
        Assert.True(second.Mask.IoU(obj) >= 0.9, $"IoU {second.Mask.IoU(obj):0.000}");
        Assert.Throws<SegArgumentException>(() => new ClickChain(session, fusion: new ColorFusion(new BgraImage(10, 10))));
    }

    [Fact]
    public void AFusedChainCanRefineOnlyTheFirstClicks()
    {
        var (img, obj, _) = Scene();
        PointPrompt[] clicks = [new(50, 45), new(30, 45), new(70, 45)];
        var raw = FakeSegmentation.Disk(W, H, 50, 45, 22).Union(FakeSegmentation.Disk(W, H, 30, 45, 22));
        var every = new ClickChain(Session(img), fusion: new ColorFusion(img));
        var everyFirst = every.Predict(clicks[..1]);
        var everySecond = every.Predict(clicks[..2]);
        Assert.NotEqual(raw.Data, everySecond.Mask.Data);   // refined by default

        // Click 1 refined as before and its refined selection fed back; from click 2 on the model's answers, exactly.
        var session = Session(img);
        var chain = new ClickChain(session, fusion: new ColorFusion(img), settings: new ClickChainOptions { ColorRefineClicks = 1 });
        var first = chain.Predict(clicks[..1]);
        Assert.Equal(everyFirst.Mask.Data, first.Mask.Data);
        Assert.NotSame(first.Proposal.LowResLogits, first.LowResLogits);
        var second = chain.Predict(clicks[..2]);
        Assert.Same(first.LowResLogits, session.Requests[1].MaskInput);
        Assert.Equal(raw.Data, second.Mask.Data);
        Assert.Same(second.Proposal.LowResLogits, second.LowResLogits);
        var third = chain.Predict(clicks);
        Assert.Same(second.LowResLogits, session.Requests[2].MaskInput);
        Assert.Equal(raw.Union(FakeSegmentation.Disk(W, H, 70, 45, 22)).Data, third.Mask.Data);

        // With the model's logits fed back, click 2 starts from the model's reading of click 1 instead.
        var modelSession = Session(img);
        var modelFed = new ClickChain(modelSession, fusion: new ColorFusion(img), settings: new ClickChainOptions { ColorRefineClicks = 1, Feedback = FusionFeedback.ModelLogits });
        var m1 = modelFed.Predict(clicks[..1]);
        Assert.Equal(everyFirst.Mask.Data, m1.Mask.Data);
        modelFed.Predict(clicks[..2]);
        Assert.Same(m1.Proposal.LowResLogits, modelSession.Requests[1].MaskInput);

        Assert.Throws<SegArgumentException>(() => new ClickChain(session, settings: new ClickChainOptions { ColorRefineClicks = -1 }));
    }

    [Fact]
    public void AFusedChainKeepsRefiningLaterClicksOnlyWhereTheColoursKeptToTheModel()
    {
        var (img, _, _) = Scene();
        PointPrompt[] clicks = [new(50, 45), new(30, 45), new(70, 45)];
        var raw = FakeSegmentation.Disk(W, H, 50, 45, 22).Union(FakeSegmentation.Disk(W, H, 30, 45, 22));
        var every = new ClickChain(Session(img), fusion: new ColorFusion(img));
        var everyFirst = every.Predict(clicks[..1]);
        var everySecond = every.Predict(clicks[..2]);
        var everyThird = every.Predict(clicks);
        // The refined first click moves away from the model's disk by this much.
        double agreement = everyFirst.Mask.IoU(FakeSegmentation.Disk(W, H, 50, 45, 22));
        Assert.InRange(agreement, 0.3, 0.99);

        // Agreement at least the threshold: the next click is refined, the same as refining every click.
        var justAbove = new ClickChain(Session(img), fusion: new ColorFusion(img),
            settings: new ClickChainOptions { ColorRefineClicks = 1, LaterColorMinAgreement = agreement - 0.01 });
        Assert.Equal(everySecond.Mask.Data, justAbove.Predict(clicks[..2]).Mask.Data);
        var loose = new ClickChain(Session(img), fusion: new ColorFusion(img),
            settings: new ClickChainOptions { ColorRefineClicks = 1, LaterColorMinAgreement = 0.01 });
        Assert.Equal(everyThird.Mask.Data, loose.Predict(clicks).Mask.Data);
        // Under it: the model's answers from click 2 on, and they stay so.
        var strict = new ClickChain(Session(img), fusion: new ColorFusion(img),
            settings: new ClickChainOptions { ColorRefineClicks = 1, LaterColorMinAgreement = agreement + 0.01 });
        Assert.Equal(everyFirst.Mask.Data, strict.Predict(clicks[..1]).Mask.Data);
        Assert.Equal(raw.Data, strict.Predict(clicks[..2]).Mask.Data);
        var third = strict.Predict(clicks);
        Assert.Same(third.Proposal.LowResLogits, third.LowResLogits);
        Assert.Throws<SegArgumentException>(() => new ClickChain(Session(img), settings: new ClickChainOptions { LaterColorMinAgreement = 2 }));
    }

    [Fact]
    public void ColourSeparationIsHighWhereColoursTellTheObjectApartAndLowWhereTheyDoNot()
    {
        var (img, obj, _) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        var refined = ColorRefiner.RefineMeasured(img, logits, null, null, out double separate);
        Assert.Equal(ColorRefiner.Refine(img, logits).Data, refined.Data);   // measuring changes nothing
        Assert.InRange(separate, 0.9, 1.0);

        // The same object drawn in the background's colours: the colours alone cannot find it again.
        var same = new BgraImage(W, H);
        var rng = new Random(3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                var px = same.Row(y).Slice(x * 4, 4);
                px[2] = (byte)rng.Next(0, 256); px[1] = (byte)rng.Next(0, 256); px[0] = (byte)rng.Next(0, 256); px[3] = 255;
            }
        ColorRefiner.RefineMeasured(same, logits, null, null, out double mixed);
        Assert.InRange(mixed, 0.0, 0.7);
        // A flat image has nothing to measure.
        ColorRefiner.RefineMeasured(new BgraImage(W, H), logits, null, null, out double flat);
        Assert.Equal(0, flat);
    }

    [Fact]
    public void AFusedChainKeepsRefiningLaterClicksOnlyWhereColoursSeparateTheObject()
    {
        // The scene with specks of the object's colour in the background: the cut leaves them out, the colours alone do not.
        var (img, obj, _) = Scene();
        var rng = new Random(5);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                if (obj.Data[y * W + x] == Mask.Off && rng.Next(8) == 0)
                {
                    var px = img.Row(y).Slice(x * 4, 4);
                    px[2] = 200; px[1] = 50; px[0] = 40;
                }
        PointPrompt[] clicks = [new(50, 45), new(30, 45), new(70, 45)];
        var raw = FakeSegmentation.Disk(W, H, 50, 45, 22).Union(FakeSegmentation.Disk(W, H, 30, 45, 22));
        var every = new ClickChain(Session(img), fusion: new ColorFusion(img));
        var everySecond = every.Predict(clicks[..2]);
        var probe = Session(img).Predict(new PromptSet { Points = clicks[..1] });
        ColorRefiner.RefineMeasured(img, probe.UpscaleLogits(probe.Chosen), new ColorRefineInput { Clicks = clicks[..1] }, null, out double separate);
        Assert.InRange(separate, 0.5, 0.999);

        var keep = new ClickChain(Session(img), fusion: new ColorFusion(img),
            settings: new ClickChainOptions { ColorRefineClicks = 1, LaterColorMinSeparation = separate - 0.001 });
        Assert.Equal(everySecond.Mask.Data, keep.Predict(clicks[..2]).Mask.Data);
        var stop = new ClickChain(Session(img), fusion: new ColorFusion(img),
            settings: new ClickChainOptions { ColorRefineClicks = 1, LaterColorMinSeparation = separate + 0.001 });
        Assert.Equal(raw.Data, stop.Predict(clicks[..2]).Mask.Data);
        Assert.Throws<SegArgumentException>(() => new ClickChain(Session(img), settings: new ClickChainOptions { LaterColorMinSeparation = -0.1 }));
    }

    private static DiskSession Session(BgraImage img)
    {
        var s = new DiskSession(22);
        s.SetImage(img);
        return s;
    }

    /// <summary>A SAM-like answer with four proposals: 0-2 read a part of the object (1 scores best), 3 the whole of it.</summary>
    private static MaskPrediction FourReadings(Mask part, Mask whole) =>
        FakeSegmentation.Readings(1, [0.90f, 0.97f, 0.93f, 0.95f], part, part, part, whole);

    [Fact]
    public void ABoxAloneTakesTheWholeObjectReadingAsItsPrior()
    {
        var (_, obj, _) = Scene();
        var part = FakeSegmentation.Disk(W, H, 40, 45, 8);
        var p = FourReadings(part, obj);
        var box = new BoxXyxy(22, 25, 78, 65);
        Assert.Equal(3, ColorRefiner.PriorFor(p, PromptSet.FromBox(box), AnyBox).Index);
        // Clicks, a mask input or a decoder that offers one mask keep the prediction's own choice.
        Assert.Same(p.Chosen, ColorRefiner.PriorFor(p, new PromptSet { Box = box, Points = [new PointPrompt(40, 45)] }));
        Assert.Same(p.Chosen, ColorRefiner.PriorFor(p, PromptSet.FromPoints(new PointPrompt(40, 45))));
        Assert.Same(p.Chosen, ColorRefiner.PriorFor(p, new PromptSet { Box = box, MaskInput = new LogitMap(256, 256) }));
        var single = new MaskProposal(0, 0.9f, new LogitMap(256, 256));
        var one = new MaskPrediction(part, single, [single], _ => new LogitMap(W, H));
        Assert.Same(single, ColorRefiner.PriorFor(one, PromptSet.FromBox(box), AnyBox));
    }

    [Fact]
    public void ABoxUnderTheMinimumSide_KeepsTheModelsAnswerAndChoice()
    {
        var (img, obj, _) = Scene();
        var logits = RectLogits(22, 25, 79, 66);
        var box = new BoxXyxy(22, 25, 78, 65); // shorter side 40 px
        var small = new ColorRefineOptions { MinBoxSide = 41 };
        Assert.Equal(logits.ToMask().Data, ColorRefiner.Refine(img, logits, new ColorRefineInput { Box = box }, small).Data);
        var p = FourReadings(FakeSegmentation.Disk(W, H, 40, 45, 8), obj);
        Assert.Same(p.Chosen, ColorRefiner.PriorFor(p, PromptSet.FromBox(box), small));
        // At or under the box's side the box is refined as before.
        var enough = new ColorRefineOptions { MinBoxSide = 40 };
        Assert.True(ColorRefiner.Refine(img, logits, new ColorRefineInput { Box = box }, enough).IoU(obj) >= 0.95);
        Assert.Equal(3, ColorRefiner.PriorFor(p, PromptSet.FromBox(box), enough).Index);
        // With clicks the box is refined whatever its size (the rule was measured on boxes alone).
        var withClick = new ColorRefineInput { Box = box, Clicks = [new PointPrompt(50, 45)] };
        Assert.True(ColorRefiner.Refine(img, logits, withClick, small).IoU(obj) >= 0.95);
        Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, logits, null, new ColorRefineOptions { MinBoxSide = -1 }));
    }

    [Fact]
    public void AFusedChainRefinesABoxFromTheWholeObjectReading()
    {
        var (img, obj, _) = Scene();
        var part = FakeSegmentation.Disk(W, H, 40, 45, 8);
        var session = new ScriptedSession(W, H, FourReadings(part, obj));
        var box = new BoxXyxy(22, 25, 78, 65);
        var fused = new ClickChain(session, fusion: new ColorFusion(img, AnyBox)).Predict([], box);
        Assert.Equal(3, fused.Proposal.Index);
        Assert.True(fused.Mask.IoU(obj) >= 0.9, $"IoU {fused.Mask.IoU(obj):0.000}");
        var plain = new ClickChain(session).Predict([], box);
        Assert.Equal(1, plain.Proposal.Index);
        Assert.Equal(part.Data, plain.Mask.Data);
    }

    /// <summary>
    /// A texture of two greys drawn at random everywhere (colours tell nothing), the object a 40x40 square at (30,25) and,
    /// attached to its right side, an 8 px strip of the same texture that the model's whole-object reading takes in too.
    /// Returns the image, the object, the model's reading and the crop map's salient part (the object).
    /// </summary>
    private static (BgraImage Image, Mask Object, Mask Reading, LogitMap Map) TextureScene()
    {
        var img = new BgraImage(W, H);
        var rng = new Random(3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                byte v = (byte)(rng.Next(2) == 0 ? 90 : 150);
                var px = img.Row(y).Slice(x * 4, 4);
                px[0] = px[1] = px[2] = v;
                px[3] = 255;
            }
        var obj = new Mask(W, H);
        var reading = new Mask(W, H);
        var map = new LogitMap(W, H);
        for (int y = 25; y < 65; y++)
            for (int x = 30; x < 78; x++)
            {
                reading.Data[y * W + x] = Mask.On;
                if (x < 70) { obj.Data[y * W + x] = Mask.On; map.Data[y * W + x] = 1f; }
            }
        return (img, obj, reading, map);
    }

    [Fact]
    public void ABoxAloneIsRefinedWithItsCropMap_WhereTheFusionHasOne()
    {
        var (img, obj, reading, map) = TextureScene();
        var box = new BoxXyxy(20, 15, 88, 75);
        var part = FakeSegmentation.Disk(W, H, 50, 45, 10);
        // A light smoothness term: on this texture the default one would cut a region this size away whole.
        var opts = AnyBox with { Smoothness = 2 };
        var asked = new List<PromptSet>();
        var fusion = new ColorFusion(img, opts) { BoxSaliency = (prompts, _) => { asked.Add(prompts); return map; } };
        var withMap = new ClickChain(new ScriptedSession(W, H, FourReadings(part, reading)), fusion: fusion).Predict([], box);
        Assert.Single(asked);
        Assert.Equal(box, asked[0].Box);
        // The map knows the strip is not the object; the colours cannot tell, so without it the model's reading stands.
        Assert.True(withMap.Mask.IoU(obj) >= 0.95, $"IoU {withMap.Mask.IoU(obj):0.000}");
        var without = new ClickChain(new ScriptedSession(W, H, FourReadings(part, reading)), fusion: new ColorFusion(img, opts)).Predict([], box);
        Assert.True(without.Mask.IoU(reading) >= 0.95, $"IoU {without.Mask.IoU(reading):0.000}");
        // The same selection as the refiner makes with the map given directly (one box path for every host).
        var direct = ColorRefiner.Refine(img, FourReadings(part, reading).UpscaleLogits(FourReadings(part, reading).Proposals[3]),
            new ColorRefineInput { Box = box, Saliency = map }, opts);
        Assert.Equal(direct.Data, withMap.Mask.Data);
        // Switched off, the map is not asked for.
        var off = new ColorFusion(img, opts with { BoxSaliency = false }) { BoxSaliency = (prompts, _) => { asked.Add(prompts); return map; } };
        new ClickChain(new ScriptedSession(W, H, FourReadings(part, reading)), fusion: off).Predict([], box);
        Assert.Single(asked);
    }

    [Fact]
    public void TheCropMapIsAskedForOnlyForABoxAloneLargeEnoughToRefine()
    {
        var box = new BoxXyxy(22, 25, 78, 65); // shorter side 40 px
        Assert.True(ColorRefiner.UsesBoxSaliency(PromptSet.FromBox(box), AnyBox));
        Assert.False(ColorRefiner.UsesBoxSaliency(PromptSet.FromBox(box))); // under the default MinBoxSide
        Assert.False(ColorRefiner.UsesBoxSaliency(new PromptSet { Box = box, Points = [new PointPrompt(40, 45)] }, AnyBox));
        Assert.False(ColorRefiner.UsesBoxSaliency(new PromptSet { Box = box, MaskInput = new LogitMap(256, 256) }, AnyBox));
        Assert.False(ColorRefiner.UsesBoxSaliency(PromptSet.FromPoints(new PointPrompt(40, 45)), AnyBox));
        Assert.False(ColorRefiner.UsesBoxSaliency(PromptSet.FromBox(box), AnyBox with { BoxSaliency = false }));

        // A chain's clicks and small boxes never ask.
        var (img, obj, _) = Scene();
        int asked = 0;
        var fusion = new ColorFusion(img) { BoxSaliency = (_, _) => { asked++; return null; } };
        var part = FakeSegmentation.Disk(W, H, 40, 45, 8);
        new ClickChain(new ScriptedSession(W, H, FourReadings(part, obj)), fusion: fusion).Predict([], box);
        new ClickChain(new ScriptedSession(W, H, FourReadings(part, obj)), fusion: fusion).Predict([new PointPrompt(50, 45)]);
        Assert.Equal(0, asked);
        // A null answer (no subject model) refines the box as before.
        var none = new ClickChain(new ScriptedSession(W, H, FourReadings(part, obj)), fusion: new ColorFusion(img, AnyBox) { BoxSaliency = (_, _) => null }).Predict([], box);
        var before = new ClickChain(new ScriptedSession(W, H, FourReadings(part, obj)), fusion: new ColorFusion(img, AnyBox)).Predict([], box);
        Assert.Equal(before.Mask.Data, none.Mask.Data);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ABoxSaliencyMarginOutsideZeroToOne_IsAClearError(double margin)
    {
        var (img, _, _) = Scene();
        var e = Assert.Throws<SegArgumentException>(() => ColorRefiner.Refine(img, RectLogits(22, 25, 79, 66), null, new ColorRefineOptions { BoxSaliencyMargin = margin }));
        Assert.Contains("box saliency margin", e.Message);
        Assert.Contains("0..1", e.Message);
    }
}

public class LogitThresholdTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(37, 3)]
    [InlineData(64, 5)]
    [InlineData(211, 13)]
    public void VectorThresholdMatchesTheScalarRule(int w, int h)
    {
        var rng = new Random(w * 31 + h);
        var l = new LogitMap(w, h);
        for (int i = 0; i < l.Data.Length; i++)
            l.Data[i] = (i % 11) switch { 0 => float.NaN, 1 => 0f, 2 => -0f, 3 => 0.5f, 4 => float.PositiveInfinity, _ => (float)(rng.NextDouble() * 4 - 2) };
        foreach (float t in new[] { 0f, 0.5f, -1f })
        {
            var m = l.ToMask(t);
            for (int i = 0; i < l.Data.Length; i++)
                Assert.Equal(l.Data[i] > t ? Mask.On : Mask.Off, m.Data[i]);
        }
    }
}

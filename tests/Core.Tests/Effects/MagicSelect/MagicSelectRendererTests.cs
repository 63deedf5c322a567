using System.Diagnostics;
using SegPlugins.Core.Effects;
using SegPlugins.Core.Effects.MagicSelect;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;
using Xunit;
using S = SegPlugins.Core.Effects.MagicSelect.MagicSelectSchema;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Tests.Effects.MagicSelect;

/// <summary>The effect body with the real MobileSAM weights on the committed photos and reviewed reference masks.</summary>
[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class MagicSelectRendererTests
{
    private static readonly Lazy<BgraImage> CoffeeImage = new(() => ImageIO.Load(TestPaths.Sample("coffee.jpg")));
    private static readonly Lazy<Mask> CoffeeReference = new(() => MaskMath.LoadMask(TestPaths.Fixture("reference", "coffee-cup-saucer.png")));
    private static readonly Bgra32 Primary = new(10, 200, 30);     // B,G,R: a green no photo pixel is likely to have exactly
    private static readonly Bgra32 Secondary = new(250, 20, 240);  // magenta

    private readonly MobileSamFixture _f;

    public MagicSelectRendererTests(MobileSamFixture f) => _f = f;

    private static BgraImage Coffee => CoffeeImage.Value;

    private MagicSelectRenderer NewRenderer() => new(new FixedSamModelProvider(_f.Session));

    /// <summary>Settings with include/exclude points in pixels of a w x h image (up to 3 and 2), the rest default.</summary>
    private static MagicSelectSettings Settings(int w, int h, (float X, float Y)[] include, (float X, float Y)[]? exclude = null,
        MagicSelectOutput output = MagicSelectOutput.KeepObject, bool useBox = true, int grow = 0, int feather = 0, bool refine = false, bool guide = true,
        bool colors = true, bool hair = false)
    {
        var v = new Dictionary<string, object?>
        {
            [S.Output] = output, [S.UseSelectionBox] = useBox, [S.GrowShrink] = grow, [S.Feather] = feather, [S.RefineEdges] = refine,
            [S.SubjectGuide] = guide, [S.RefineColors] = colors, [S.RefineHair] = hair,
        };
        for (int i = 0; i < S.IncludePointCount; i++) v[S.IncludeOn(i + 1)] = i < include.Length;
        for (int i = 0; i < include.Length; i++) v[S.IncludePoint(i + 1)] = PanCoordinates.FromPixel(include[i].X, include[i].Y, w, h);
        exclude ??= [];
        for (int i = 0; i < S.ExcludePointCount; i++) v[S.ExcludeOn(i + 1)] = i < exclude.Length;
        for (int i = 0; i < exclude.Length; i++) v[S.ExcludePoint(i + 1)] = PanCoordinates.FromPixel(exclude[i].X, exclude[i].Y, w, h);
        return MagicSelectSettings.FromValues(v);
    }

    private static MagicSelectSettings CupClick(MagicSelectOutput output = MagicSelectOutput.KeepObject) =>
        Settings(600, 400, [(300, 200)], output: output);

    private static MagicSelectInput WholeCoffee => MagicSelectInput.WholeImage(Coffee, Primary, Secondary);

    private static Mask MaskOf(BgraImage shown)
    {
        var m = new Mask(shown.Width, shown.Height);
        for (int y = 0; y < shown.Height; y++)
            for (int x = 0; x < shown.Width; x++)
                m.Data[y * shown.Width + x] = shown.Row(y)[4 * x + 2] > 127 ? Mask.On : Mask.Off;
        return m;
    }

    /// <summary>The object mask the renderer finds for these settings (via ShowMask), with interior and exterior bands 3 px clear of the edge.</summary>
    private (Mask Object, Mask Inside, Mask Outside) ObjectOf(MagicSelectRenderer r, MagicSelectSettings s, MagicSelectInput input)
    {
        var shown = Ready(r.Prepare(SettingsWithOutput(s, MagicSelectOutput.ShowMask), input), r);
        // Outside the selection the output is the source, which is no part of the mask.
        var obj = MaskOf(shown).Intersect(SelectionOf(input));
        Assert.Equal(obj.Area(), r.Status!.ObjectArea);
        return (obj, obj.Shrink(3), obj.Grow(3).Invert());
    }

    private static Mask SelectionOf(MagicSelectInput input)
    {
        var m = new Mask(input.Source.Width, input.Source.Height);
        var b = input.SelectionBounds;
        for (int y = b.Y; y < b.Bottom; y++)
            for (int x = b.X; x < b.Right; x++)
                m.Data[y * m.Width + x] = input.Selection is null || input.Selection[x, y] ? Mask.On : Mask.Off;
        return m;
    }

    private static MagicSelectSettings SettingsWithOutput(MagicSelectSettings s, MagicSelectOutput o) => new(
        s.Include, s.Exclude, s.UseSelectionBox, s.Model, s.EncoderFile, s.DecoderFile, o, s.GrowShrink, s.Feather, s.RefineEdges, s.BackgroundBlur, s.SubjectGuide, s.RefineColors, s.Precision, s.RefineHair);

    private static BgraImage Ready(EffectStatus status, MagicSelectRenderer r)
    {
        Assert.True(status.IsReady, status.ToString());
        Assert.Same(status, r.Status);
        return r.Output!;
    }

    private static IEnumerable<(int X, int Y)> Pixels(Mask m)
    {
        for (int y = 0; y < m.Height; y++)
            for (int x = 0; x < m.Width; x++)
                if (m[x, y]) yield return (x, y);
    }

    private static byte[] Px(BgraImage img, int x, int y) => img.Row(y).Slice(4 * x, 4).ToArray();

    [Fact]
    public void ShowMaskIsBlackAndWhiteAndMatchesTheReviewedCup()
    {
        var r = NewRenderer();
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.ShowMask), WholeCoffee), r);
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
            {
                var p = Px(img, x, y);
                Assert.True(p[0] is 0 or 255 && p[1] == p[0] && p[2] == p[0] && p[3] == 255, $"({x},{y}) = {string.Join(",", p)}");
            }
        double iou = MaskMath.IoU(MaskOf(img), CoffeeReference.Value);
        Assert.True(iou >= 0.9, $"IoU {iou:0.000} < 0.9");
        Assert.Equal(MaskOf(img).Area(), r.Status!.ObjectArea);
    }

    [Fact]
    public void KeepObjectMakesTheRestTransparent()
    {
        var r = NewRenderer();
        var (obj, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.KeepObject), WholeCoffee), r);
        foreach (var (x, y) in Pixels(inside)) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
        foreach (var (x, y) in Pixels(outside)) Assert.Equal(0, img.Row(y)[4 * x + 3]);
        Assert.True(Pixels(outside).Count() > 50_000 && Pixels(inside).Count() > 50_000);
    }

    [Fact]
    public void EraseObjectMakesTheObjectTransparent()
    {
        var r = NewRenderer();
        var (_, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.EraseObject), WholeCoffee), r);
        foreach (var (x, y) in Pixels(inside)) Assert.Equal(0, img.Row(y)[4 * x + 3]);
        foreach (var (x, y) in Pixels(outside)) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
    }

    [Fact]
    public void FillPaintsTheObjectWithThePrimaryColour()
    {
        var r = NewRenderer();
        var (_, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.FillObjectWithPrimary), WholeCoffee), r);
        foreach (var (x, y) in Pixels(inside)) Assert.Equal(new byte[] { Primary.B, Primary.G, Primary.R, 255 }, Px(img, x, y));
        foreach (var (x, y) in Pixels(outside)) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
    }

    [Fact]
    public void ReplaceBackgroundPutsTheObjectOnTheSecondaryColour()
    {
        var r = NewRenderer();
        var (_, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.ReplaceBackgroundWithSecondary), WholeCoffee), r);
        foreach (var (x, y) in Pixels(inside)) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
        foreach (var (x, y) in Pixels(outside)) Assert.Equal(new byte[] { Secondary.B, Secondary.G, Secondary.R, 255 }, Px(img, x, y));
    }

    [Fact]
    public void BlurBackgroundChangesOnlyTheBackground()
    {
        var r = NewRenderer();
        var (_, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        var img = Ready(r.Prepare(CupClick(MagicSelectOutput.BlurBackground), WholeCoffee), r);
        foreach (var (x, y) in Pixels(inside)) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
        long diff = 0, n = 0;
        foreach (var (x, y) in Pixels(outside))
        {
            for (int c = 0; c < 3; c++) diff += Math.Abs(img.Row(y)[4 * x + c] - Coffee.Row(y)[4 * x + c]);
            Assert.Equal(255, img.Row(y)[4 * x + 3]);
            n++;
        }
        double meanDiff = (double)diff / (3 * n);
        Assert.True(meanDiff > 2, $"background barely changed: mean |diff| {meanDiff:0.00}");
    }

    [Fact]
    public void SelectionBoundsAreTheBoxAndPixelsOutsideTheSelectionStay()
    {
        // No include point at all: the rectangle selected around cup and saucer is the only prompt.
        var bounds = new PixelRect(70, 12, 415, 386);
        var input = new MagicSelectInput(Coffee, bounds, null, Primary, Secondary);
        var settings = Settings(600, 400, [], output: MagicSelectOutput.ReplaceBackgroundWithSecondary);
        var prompts = MagicSelectRenderer.BuildPrompts(settings, input)!;
        Assert.Equal(new BoxXyxy(70, 12, 485, 398), prompts.Box);
        Assert.Empty(prompts.Points);

        var r = NewRenderer();
        var (obj, _, _) = ObjectOf(r, settings, input);
        double iou = MaskMath.IoU(obj, CoffeeReference.Value);
        Assert.True(iou >= 0.9, $"box IoU {iou:0.000} < 0.9; area {obj.Area()} vs {CoffeeReference.Value.Area()}");
        var img = Ready(r.Prepare(settings, input), r);
        int changed = 0;
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 600; x++)
            {
                bool inSel = x >= bounds.X && x < bounds.Right && y >= bounds.Y && y < bounds.Bottom;
                if (!inSel) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
                else if (!Px(Coffee, x, y).SequenceEqual(Px(img, x, y))) changed++;
            }
        Assert.True(changed > 10_000, $"only {changed} pixels changed inside the selection");
    }

    [Fact]
    public void FreeFormSelectionLimitsTheObject()
    {
        // An elliptical selection over the left half of the cup: the effect may change pixels only inside it.
        var sel = new Mask(600, 400);
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 600; x++)
            {
                double dx = (x - 220) / 160.0, dy = (y - 200) / 150.0;
                if (dx * dx + dy * dy <= 1) sel.Data[y * 600 + x] = Mask.On;
            }
        var input = new MagicSelectInput(Coffee, sel.BoundingBox()!.Value, sel, Primary, Secondary);
        var r = NewRenderer();
        var img = Ready(r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.FillObjectWithPrimary, useBox: false), input), r);
        int filled = 0;
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 600; x++)
            {
                if (!sel[x, y]) Assert.Equal(Px(Coffee, x, y), Px(img, x, y));
                else if (Px(img, x, y).SequenceEqual(new byte[] { Primary.B, Primary.G, Primary.R, 255 })) filled++;
            }
        Assert.True(filled > 20_000, $"only {filled} pixels filled inside the selection");
        Assert.Equal(filled, r.Status!.ObjectArea);
    }

    [Fact]
    public void TilesOfAnySizeReassembleTheOutput()
    {
        var r = NewRenderer();
        var full = Ready(r.Prepare(CupClick(MagicSelectOutput.BlurBackground), WholeCoffee), r);
        foreach (var (tw, th) in new[] { (7, 13), (64, 1), (1, 1), (600, 400), (599, 3) })
        {
            int stride = full.Width * 4 + 12; // a host stride wider than the row
            var buf = new byte[stride * full.Height];
            var tiles = new List<PixelRect>();
            for (int y = 0; y < full.Height; y += th)
                for (int x = 0; x < full.Width; x += tw)
                    tiles.Add(new PixelRect(x, y, Math.Min(tw, full.Width - x), Math.Min(th, full.Height - y)));
            // Hosts render tiles on several threads at once.
            Parallel.ForEach(tiles, t =>
            {
                var tileBuf = new byte[t.Width * 4 * t.Height + 4];
                Assert.True(r.CopyTile(t, tileBuf, t.Width * 4 + 0));
                for (int row = 0; row < t.Height; row++)
                    tileBuf.AsSpan(row * t.Width * 4, t.Width * 4).CopyTo(buf.AsSpan((t.Y + row) * stride + t.X * 4));
            });
            for (int y = 0; y < full.Height; y++)
                Assert.True(full.Row(y).SequenceEqual(buf.AsSpan(y * stride, full.Width * 4)), $"{tw}x{th} tiles: row {y} differs");
        }
        Assert.Throws<SegArgumentException>(() => r.CopyTile(new PixelRect(595, 0, 10, 1), new byte[40], 40));
        Assert.Throws<SegArgumentException>(() => r.CopyTile(new PixelRect(0, 0, 10, 2), new byte[60], 40));
    }

    [Fact]
    public void CopyTileBeforePrepareCopiesNothing()
    {
        var buf = new byte[16];
        Assert.False(NewRenderer().CopyTile(new PixelRect(0, 0, 2, 2), buf, 8));
        Assert.All(buf, b => Assert.Equal(0, b));
    }

    [Fact]
    public void MovingPointsReusesTheEmbeddingAndLookChangesReuseThePrediction()
    {
        // A copy with one pixel changed has a new content hash, so it cannot be in the session cache already.
        var img = Coffee.Clone();
        img.Row(0)[0] ^= 0x55;
        var input = MagicSelectInput.WholeImage(img, Primary, Secondary);
        var r = NewRenderer();
        int cached = _f.Session.Cache.Count;

        var spoon = r.Prepare(Settings(600, 400, [(362, 290)], output: MagicSelectOutput.ShowMask), input);
        Assert.True(spoon.IsReady, spoon.ToString());
        long spoonArea = spoon.ObjectArea!.Value;
        Assert.Equal(1, r.EmbeddingRequests);
        Assert.Equal(cached + 1, _f.Session.Cache.Count);

        var cup = r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.ShowMask), input);
        Assert.True(cup.IsReady, cup.ToString());
        Assert.Equal(1, r.EmbeddingRequests);           // the encoder did not run again
        Assert.Equal(cached + 1, _f.Session.Cache.Count);
        Assert.Equal(2, r.Predictions);
        Assert.True(cup.ObjectArea > 5 * spoonArea, $"cup {cup.ObjectArea} px vs spoon {spoonArea} px: the moved point was not used");

        // Only the look changes: neither model runs.
        var filled = r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.FillObjectWithPrimary, grow: 2), input);
        Assert.True(filled.IsReady);
        Assert.Equal(1, r.EmbeddingRequests);
        Assert.Equal(2, r.Predictions);
        Assert.True(filled.ObjectArea > cup.ObjectArea);

        // Nothing changes: the same result object comes back.
        Assert.Same(filled, r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.FillObjectWithPrimary, grow: 2), input));
        // The same pixels in a new image object still count as the same source.
        Assert.Same(filled, r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.FillObjectWithPrimary, grow: 2),
            MagicSelectInput.WholeImage(img.Clone(), Primary, Secondary)));
        Assert.Equal(1, r.EmbeddingRequests);
    }

    [Fact]
    public void PointsAreReadAsClicksInTheirNumberOrder()
    {
        // include 1, exclude 1, include 2, exclude 2, ...; switched-off points are left out.
        var settings = Settings(600, 400, [(300, 200), (120, 80), (500, 300)], exclude: [(362, 290), (50, 50)]);
        var prompts = MagicSelectRenderer.BuildPrompts(settings, WholeCoffee)!;
        var order = prompts.Points.Select(p => ((int)Math.Round(p.X), (int)Math.Round(p.Y), p.Positive)).ToArray();
        Assert.Equal(new[] { (300, 200, true), (362, 290, false), (120, 80, true), (50, 50, false), (500, 300, true) }, order);
        Assert.Null(prompts.Box);
    }

    [Fact]
    public void AnAddedPointRefinesTheLastAnswerWithOneDecoderRun()
    {
        var r = NewRenderer();
        // Colours off: the selection is the model's own answer, to compare with the loop written out.
        Assert.True(r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.ShowMask, colors: false), WholeCoffee).IsReady);
        Assert.Equal(1, r.Predictions);
        var two = Settings(600, 400, [(300, 200)], exclude: [(362, 290)], colors: false);
        var (obj, _, _) = ObjectOf(r, two, WholeCoffee);
        Assert.Equal(2, r.Predictions);                    // the first click's step was reused

        // The same as the feedback loop written out: the second click sees the first answer's logits.
        var clicks = MagicSelectRenderer.BuildPrompts(two, WholeCoffee)!.Points;
        var e = _f.Session.Embed(Coffee);
        var p1 = _f.Session.Predict(e, PromptSet.FromPoints([clicks[0]]));
        var p2 = _f.Session.Predict(e, new PromptSet { Points = [clicks[0], clicks[1]], MaskInput = p1.LowResLogits });
        Assert.Equal(p2.Mask.Data, obj.Data);
        var atOnce = _f.Session.Predict(e, PromptSet.FromPoints([clicks[0], clicks[1]]));
        Assert.NotEqual(atOnce.Mask.Data, obj.Data);
    }

    private static readonly Lazy<SegPlugins.Core.Segmentation.Subject.SubjectSelector> Subject = new(() => SegPlugins.Core.Segmentation.Subject.SubjectSelector.OpenAsync().GetAwaiter().GetResult());

    [Fact]
    public void WithTheSubjectModelTheFirstPointMeansTheWholeObject()
    {
        // A click low on the cat's body: read plainly the model takes cat and blanket (90 % of the frame, IoU 0.82).
        var cat = _f.Chelsea;
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        var input = MagicSelectInput.WholeImage(cat);
        var guided = new MagicSelectRenderer(new FixedSamModelProvider(_f.Session, Subject.Value));
        // Colours off here: this is about the reading of the click (the colour step is tested below).
        var (obj, _, _) = ObjectOf(guided, Settings(cat.Width, cat.Height, [(120, 250)], colors: false), input);
        Assert.Contains("read as the whole subject", guided.Status!.Message);
        double iouGuided = MaskMath.IoU(obj, reference);
        Assert.True(iouGuided >= 0.9, $"guided IoU {iouGuided:0.000}");

        // Switched off, or without a subject model, the same point is read plainly.
        var (plain, _, _) = ObjectOf(guided, Settings(cat.Width, cat.Height, [(120, 250)], guide: false, colors: false), input);
        Assert.DoesNotContain("whole subject", guided.Status!.Message);
        var noModel = NewRenderer();
        var (plain2, _, _) = ObjectOf(noModel, Settings(cat.Width, cat.Height, [(120, 250)], colors: false), input);
        Assert.Equal(plain.Data, plain2.Data);
        Assert.True(MaskMath.IoU(plain, reference) < iouGuided - 0.05, $"plain IoU {MaskMath.IoU(plain, reference):0.000} vs guided {iouGuided:0.000}");

        // A selection box frames the object itself: no guide.
        var boxed = new MagicSelectInput(cat, new PixelRect(20, 0, 390, 300), null, Primary, Secondary);
        guided.Prepare(Settings(cat.Width, cat.Height, [(120, 250)]), boxed);
        Assert.DoesNotContain("whole subject", guided.Status!.Message);
    }

    [Fact]
    public void ColoursRefineTheChainsAnswerAndCanBeSwitchedOff()
    {
        var cat = _f.Chelsea;
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        var input = MagicSelectInput.WholeImage(cat);
        var r = new MagicSelectRenderer(new FixedSamModelProvider(_f.Session, Subject.Value));
        var (fused, _, _) = ObjectOf(r, Settings(cat.Width, cat.Height, [(120, 250)]), input);
        Assert.True(MaskMath.IoU(fused, reference) >= 0.9, $"IoU {MaskMath.IoU(fused, reference):0.000}");

        // The same as the engine's fused chain on the same image and point.
        var e = _f.Session.Embed(cat);
        var chain = new ClickChain(new SamImageSession(_f.Session, e), Subject.Value.Saliency(cat), null, new ColorFusion(cat));
        var click = MagicSelectRenderer.BuildPrompts(Settings(cat.Width, cat.Height, [(120, 250)]), input)!.Points;
        Assert.Equal(chain.Predict(click).Mask.Data, fused.Data);

        var (model, _, _) = ObjectOf(r, Settings(cat.Width, cat.Height, [(120, 250)], colors: false), input);
        Assert.NotEqual(model.Data, fused.Data);
    }

    [Fact]
    public void AnUnavailableSubjectModelFallsBackToThePlainReadingAndSaysSo()
    {
        var r = new MagicSelectRenderer(new NoSubjectProvider(_f.Session));
        var status = r.Prepare(Settings(600, 400, [(300, 200)]), WholeCoffee);
        Assert.True(status.IsReady, status.ToString());
        Assert.Contains("First point read plainly", status.Message);
        Assert.Contains("u2netp is not here", status.Message);
    }

    private sealed class NoSubjectProvider(SamSession session) : ISamModelProvider
    {
        public SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken) => session;
        public SegPlugins.Core.Segmentation.Subject.SubjectSelector? GetSubjectModel(CancellationToken cancellationToken) =>
            throw new SegException("model u2netp is not here (offline)");
    }

    [Fact]
    public void ExcludePointTakesThePartOut()
    {
        var r = NewRenderer();
        var input = new MagicSelectInput(Coffee, new PixelRect(70, 12, 415, 386), null, Primary, Secondary);
        var (with, _, _) = ObjectOf(r, Settings(600, 400, []), input);
        Assert.True(MaskMath.CoverageAround(with, 362, 290, 8) > 0.9, "spoon not selected to begin with");
        var (without, _, _) = ObjectOf(r, Settings(600, 400, [], exclude: [(362, 290)]), input);
        Assert.True(MaskMath.CoverageAround(without, 362, 290, 8) < 0.1, "spoon still selected after the exclude point");
        Assert.True(MaskMath.CoverageAround(without, 290, 150, 10) > 0.9, "the cup was lost");
    }

    [Fact]
    public void ClickOnTheCatMatchesTheReviewedReference()
    {
        var cat = _f.Chelsea;
        var r = NewRenderer();
        var (obj, _, _) = ObjectOf(r, Settings(cat.Width, cat.Height, [(200, 150)]), MagicSelectInput.WholeImage(cat));
        double iou = MaskMath.IoU(obj, MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png")));
        Assert.True(iou >= 0.95, $"IoU {iou:0.000} < 0.95");
        Assert.Equal(1, r.EmbeddingRequests);
    }

    [Fact]
    public void GrowShrinkFeatherAndRefineShapeTheEdge()
    {
        var r = NewRenderer();
        long Area(int grow) => r.Prepare(Settings(600, 400, [(300, 200)], output: MagicSelectOutput.ShowMask, grow: grow), WholeCoffee).ObjectArea!.Value;
        long baseArea = Area(0);
        Assert.True(Area(4) > baseArea);
        Assert.True(Area(-4) < baseArea);

        int Soft(BgraImage img) { int n = 0; for (int y = 0; y < img.Height; y++) for (int x = 0; x < img.Width; x++) { byte a = img.Row(y)[4 * x + 3]; if (a is > 0 and < 255) n++; } return n; }
        var hard = Ready(r.Prepare(Settings(600, 400, [(300, 200)]), WholeCoffee), r);
        Assert.Equal(0, Soft(hard));
        var feathered = Ready(r.Prepare(Settings(600, 400, [(300, 200)], feather: 6), WholeCoffee), r);
        Assert.True(Soft(feathered) > 1000, $"feathered edge has {Soft(feathered)} soft pixels");
        var refined = Ready(r.Prepare(Settings(600, 400, [(300, 200)], refine: true), WholeCoffee), r);
        Assert.True(Soft(refined) > 100, $"refined edge has {Soft(refined)} soft pixels");
        Assert.Equal(1, r.Predictions);
    }

    [Fact]
    public void HairOptionMattesTheEdgeOnceAndKeepsTheObjectsColoursInside()
    {
        var r = NewRenderer();
        var (_, inside, outside) = ObjectOf(r, CupClick(), WholeCoffee);
        int Soft(BgraImage img) { int n = 0; for (int y = 0; y < img.Height; y++) for (int x = 0; x < img.Width; x++) { byte a = img.Row(y)[4 * x + 3]; if (a is > 0 and < 255) n++; } return n; }
        var matted = Ready(r.Prepare(Settings(600, 400, [(300, 200)], hair: true), WholeCoffee), r);
        Assert.True(Soft(matted) > 200, $"matted edge has {Soft(matted)} soft pixels");
        // Deep inside the object nothing changes; far outside everything is transparent.
        foreach (var (x, y) in Pixels(inside.Shrink(8))) Assert.Equal(Px(Coffee, x, y), Px(matted, x, y));
        foreach (var (x, y) in Pixels(outside.Shrink(8))) Assert.Equal(0, matted.Row(y)[4 * x + 3]);
        // A look change (another output) reuses the matte and the prediction.
        var mask = Ready(r.Prepare(SettingsWithOutput(Settings(600, 400, [(300, 200)], hair: true), MagicSelectOutput.ShowMask), WholeCoffee), r);
        int grey = 0;
        for (int y = 0; y < mask.Height; y++) for (int x = 0; x < mask.Width; x++) if (mask.Row(y)[4 * x] is > 0 and < 255) grey++;
        Assert.True(grey > 200);
        Assert.Equal(1, r.Predictions);
    }

    [Fact]
    public void NoPromptIsAMessageAndTheSourceUnchanged()
    {
        var r = NewRenderer();
        // Nothing selected (bounds = whole image) and no include point: nothing to look for.
        var status = r.Prepare(Settings(600, 400, [], exclude: [(10, 10)]), WholeCoffee);
        Assert.Equal(EffectStatusKind.NeedsPrompt, status.Kind);
        Assert.Contains("include point", status.Message);
        Assert.Same(Coffee, r.Output);
        Assert.Equal(0, r.EmbeddingRequests);
        var off = r.Prepare(Settings(600, 400, [], useBox: false), new MagicSelectInput(Coffee, new PixelRect(10, 10, 100, 100)));
        Assert.Equal(EffectStatusKind.NeedsPrompt, off.Kind);
        Assert.Contains("Use selection bounds as box", off.Message);
    }

    [Fact]
    public void CancelledBeforeOrDuringPrepareReportsCancelledAndRecovers()
    {
        var img = Coffee.Clone();
        img.Row(1)[4] ^= 0x33; // not in the session cache: Prepare must run the encoder
        var input = MagicSelectInput.WholeImage(img);
        var r = NewRenderer();

        using (var before = new CancellationTokenSource())
        {
            before.Cancel();
            var s = r.Prepare(CupClick(), input, before.Token);
            Assert.Equal(EffectStatusKind.Cancelled, s.Kind);
            Assert.Same(img, r.Output);
            Assert.Equal(0, r.EmbeddingRequests);
        }

        int cached = _f.Session.Cache.Count;
        using (var during = new CancellationTokenSource())
        {
            // Cancel from a dedicated thread as soon as the encoder has been asked for (a timer callback can be starved
            // on a busy thread pool until the work is already done). Whether the cancellation lands before the encoder
            // run starts or while it runs, the outcome asserted below is the same: no timing is assumed.
            var canceller = new Thread(() =>
            {
                while (r.EmbeddingRequests == 0) Thread.Sleep(1);
                during.Cancel();
            }) { IsBackground = true };
            canceller.Start();
            var s = r.Prepare(CupClick(), input, during.Token);
            canceller.Join();
            Assert.Equal(EffectStatusKind.Cancelled, s.Kind);
            Assert.Same(img, r.Output);
            Assert.Equal(cached, _f.Session.Cache.Count); // the interrupted encoder stored nothing
        }

        var ok = r.Prepare(CupClick(), input);
        Assert.True(ok.IsReady, ok.ToString());
    }

    [Fact]
    public void ModelProblemsBecomeOneMessage()
    {
        using var models = new SamModelProvider(new EngineOptions { Device = ExecutionDevice.Cpu });
        var r = new MagicSelectRenderer(models);
        var noFiles = new MagicSelectSettings(CupClick().Include, CupClick().Exclude, model: MagicSelectModel.CustomFiles);
        var s1 = r.Prepare(noFiles, WholeCoffee);
        Assert.Equal(EffectStatusKind.Error, s1.Kind);
        Assert.Contains(S.EncoderFile, s1.Message);
        Assert.Same(Coffee, r.Output);

        using var dir = new TempDir();
        var missing = new MagicSelectSettings(CupClick().Include, CupClick().Exclude, model: MagicSelectModel.CustomFiles,
            encoderFile: dir.File("enc.onnx"), decoderFile: dir.File("dec.onnx"));
        var s2 = r.Prepare(missing, WholeCoffee);
        Assert.Equal(EffectStatusKind.Error, s2.Kind);
        Assert.Contains("file not found", s2.Message);
        Assert.Contains("enc.onnx", s2.Message);

        var broken = new MagicSelectRenderer(new ThrowingProvider(new InvalidOperationException("disk on fire\nstack details")));
        var s3 = broken.Prepare(CupClick(), WholeCoffee);
        Assert.Equal(EffectStatusKind.Error, s3.Kind);
        Assert.Equal("Magic select failed: InvalidOperationException: disk on fire", s3.Message);

        var wrapped = new MagicSelectRenderer(new ThrowingProvider(new TypeInitializationException("X",
            new NativeLibraryLoadException("onnxruntime", [("/p/libonnxruntime.so", "not found")]))));
        var s4 = wrapped.Prepare(CupClick(), WholeCoffee);
        Assert.Contains("/p/libonnxruntime.so: not found", s4.Message);

        Assert.Equal(EffectStatusKind.Error, r.Prepare(null!, WholeCoffee).Kind);
        Assert.Equal(EffectStatusKind.Error, r.Prepare(CupClick(), null!).Kind);
    }

    [Fact]
    public void ProblemOverlayStripesOnlyTheSelection()
    {
        var bounds = new PixelRect(100, 50, 200, 100);
        var input = new MagicSelectInput(Coffee, bounds);
        var r = new MagicSelectRenderer(new ThrowingProvider(new SegModelException("mobilesam", "fetch failed"))) { ShowProblemOverlay = true };
        var s = r.Prepare(CupClick(), input);
        Assert.Equal(EffectStatusKind.Error, s.Kind);
        Assert.Equal("model mobilesam: fetch failed", s.Message);
        var img = r.Output!;
        Assert.NotSame(Coffee, img);
        Assert.Equal(img, r.Output);
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 600; x++)
            {
                bool inSel = x >= bounds.X && x < bounds.Right && y >= bounds.Y && y < bounds.Bottom;
                bool stripe = inSel && ((x + y) / 8) % 2 == 0;
                var src = Px(Coffee, x, y);
                var expected = stripe ? new byte[] { (byte)(src[0] / 2), (byte)(src[1] / 2), (byte)((src[2] + 256) / 2), 255 } : src;
                Assert.Equal(expected, Px(img, x, y));
            }
        // Cancellation never paints the overlay.
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.Equal(EffectStatusKind.Cancelled, r.Prepare(CupClick(), input, cts.Token).Kind);
        Assert.Same(Coffee, r.Output);
    }

    /// <summary>The whole output as a host sees it: through tile copies, which leave the buffer to the renderer.</summary>
    private static byte[] Tiles(MagicSelectRenderer r)
    {
        var status = r.Status!;
        Assert.True(status.IsReady, status.ToString());
        var buf = new byte[600 * 400 * 4];
        Assert.True(r.CopyTile(new PixelRect(0, 0, 600, 300), buf, 600 * 4));
        Assert.True(r.CopyTile(new PixelRect(0, 300, 600, 100), buf.AsSpan(300 * 600 * 4), 600 * 4));
        return buf;
    }

    [Fact]
    public void OutputsWrittenIntoTheLastOutputsBuffer_MatchFreshOnes()
    {
        // Hosts that only copy tiles let the renderer write each output into the buffer of the one before last.
        var looks = new[]
        {
            SettingsWithOutput(Settings(600, 400, [(300, 200)], feather: 3), MagicSelectOutput.KeepObject),
            SettingsWithOutput(Settings(600, 400, [(300, 200)], grow: 4), MagicSelectOutput.BlurBackground),
            SettingsWithOutput(Settings(600, 400, [(300, 200)]), MagicSelectOutput.ShowMask),
            SettingsWithOutput(Settings(600, 400, [(300, 200)], feather: 2), MagicSelectOutput.FillObjectWithPrimary),
        };
        // Reference: each output read through Output, which is never reused, so every one is a fresh image.
        var reference = NewRenderer();
        var expected = looks.Select(s => Ready(reference.Prepare(s, WholeCoffee), reference).Pixels.ToArray()).ToArray();
        Assert.Equal(0, reference.RecycledOutputs);
        var r = NewRenderer();
        foreach (int i in new[] { 0, 1, 2, 0, 3, 1, 2, 3 })
        {
            r.Prepare(looks[i], WholeCoffee);
            Assert.True(expected[i].AsSpan().SequenceEqual(Tiles(r)), $"look {i}");
        }
        Assert.Equal(6, r.RecycledOutputs);
    }

    [Fact]
    public void AnOutputReadThroughTheProperty_IsNeverWrittenAgain()
    {
        var r = NewRenderer();
        var first = Ready(r.Prepare(Settings(600, 400, [(300, 200)], feather: 3), WholeCoffee), r);
        var kept = first.Pixels.ToArray();
        foreach (var o in new[] { MagicSelectOutput.ShowMask, MagicSelectOutput.BlurBackground, MagicSelectOutput.EraseObject })
        {
            r.Prepare(SettingsWithOutput(CupClick(), o), WholeCoffee);
            Tiles(r);
        }
        Assert.Equal(kept, first.Pixels);
        // The later outputs were only copied as tiles, so the renderer did reuse those.
        Assert.Equal(1, r.RecycledOutputs);
    }

    [Fact]
    public void AnOutputBeingCopied_IsNotWrittenUntilTheCopyEnds()
    {
        var r = NewRenderer();
        r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.ShowMask), WholeCoffee);
        var held = r.Acquire()!;   // a tile copy in progress on another thread
        var kept = held.Image.Pixels.ToArray();
        r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.BlurBackground), WholeCoffee);
        r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.EraseObject), WholeCoffee);
        Assert.Equal(kept, held.Image.Pixels);
        Assert.Equal(0, r.RecycledOutputs);
        // A reader arriving now gets the current output.
        var now = r.Acquire()!;
        Assert.NotSame(held, now);
        MagicSelectRenderer.Release(now);
        MagicSelectRenderer.Release(held);
        r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.KeepObject), WholeCoffee);
        Assert.Equal(1, r.RecycledOutputs);
    }

    [Fact]
    public void ChangingTheSelection_ClipsToTheNewOne()
    {
        // The selection mask is kept between renders; a different selection with the same bounds must replace it.
        var bounds = new PixelRect(150, 100, 300, 200);
        var left = new Mask(600, 400);
        var right = new Mask(600, 400);
        for (int y = bounds.Y; y < bounds.Bottom; y++)
            for (int x = bounds.X; x < bounds.Right; x++)
                (x < 300 ? left : right).Data[y * 600 + x] = Mask.On;
        var r = NewRenderer();
        var shownLeft = Ready(r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.ShowMask), new MagicSelectInput(Coffee, bounds, left)), r).Pixels.ToArray();
        var shownRight = Ready(r.Prepare(SettingsWithOutput(CupClick(), MagicSelectOutput.ShowMask), new MagicSelectInput(Coffee, bounds, right)), r).Pixels.ToArray();
        int leftObject = 0, rightObject = 0;
        for (int y = 0; y < 400; y++)
            for (int x = 0; x < 600; x++)
            {
                int i = (y * 600 + x) * 4;
                var src = Px(Coffee, x, y);
                // Outside each selection the source shows; inside it the grey mask (the cup spans both halves).
                if (!left[x, y]) Assert.Equal(src, shownLeft.AsSpan(i, 4).ToArray());
                if (!right[x, y]) Assert.Equal(src, shownRight.AsSpan(i, 4).ToArray());
                if (left[x, y] && shownLeft[i] == 255 && shownLeft[i + 1] == 255) leftObject++;
                if (right[x, y] && shownRight[i] == 255 && shownRight[i + 1] == 255) rightObject++;
            }
        Assert.True(leftObject > 1000 && rightObject > 1000, $"object pixels: left {leftObject}, right {rightObject}");
    }

    [Fact]
    public void ErrorsKeepTheirCause_AndTheDeviceNoteEndsReadyMessages()
    {
        // A host that retries on the CPU after a GPU failure tells that failure from a missing file by the cause.
        var ort = Assert.ThrowsAny<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => new Microsoft.ML.OnnxRuntime.InferenceSession(new byte[] { 1, 2, 3, 4 }));
        var gpuFailure = new MagicSelectRenderer(new ThrowingProvider(new SegModelException("mobilesam", "could not be loaded by ONNX Runtime", ort)));
        var s1 = gpuFailure.Prepare(CupClick(), WholeCoffee);
        Assert.Equal(EffectStatusKind.Error, s1.Kind);
        Assert.True(DirectMLDevices.IsProviderFailure(s1.Cause));
        var fetch = new MagicSelectRenderer(new ThrowingProvider(new SegModelException("mobilesam", "fetch failed")));
        var s2 = fetch.Prepare(CupClick(), WholeCoffee);
        Assert.IsType<SegModelException>(s2.Cause);
        Assert.False(DirectMLDevices.IsProviderFailure(s2.Cause));

        const string note = "Running on the CPU: DirectML failed on 'NVIDIA GeForce RTX 4070'.";
        var r = new MagicSelectRenderer(new FixedSamModelProvider(_f.Session)) { DeviceNote = note };
        var ready = r.Prepare(CupClick(), WholeCoffee);
        Assert.True(ready.IsReady, ready.ToString());
        Assert.Null(ready.Cause);
        Assert.EndsWith(" " + note, ready.Message);
        Assert.DoesNotContain("Running on", NewRenderer().Prepare(CupClick(), WholeCoffee).Message);
    }

    private sealed class ThrowingProvider(Exception e) : ISamModelProvider
    {
        public SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken) => throw e;
    }
}

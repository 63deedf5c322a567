using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Segmentation.Subject;

public class SubjectPreprocessingTests
{
    [Fact]
    public void DividesByTheImageMaximumThenAppliesImageNetStatistics()
    {
        var rgb = new byte[320 * 320 * 3];
        rgb[0] = 200; rgb[1] = 100; rgb[2] = 50;   // pixel 0
        rgb[3] = 0; rgb[4] = 0; rgb[5] = 0;        // pixel 1
        var t = SubjectSelector.Preprocess(rgb);
        const int plane = 320 * 320;
        // max = 200: R = 1.0, G = 0.5, B = 0.25
        Assert.Equal((1.0f - 0.485f) / 0.229f, t[0], 5);
        Assert.Equal((0.5f - 0.456f) / 0.224f, t[plane], 5);
        Assert.Equal((0.25f - 0.406f) / 0.225f, t[2 * plane], 5);
        Assert.Equal(-0.485f / 0.229f, t[1], 5);
        // An all-black image does not divide by zero.
        Assert.All(SubjectSelector.Preprocess(new byte[320 * 320 * 3]).Take(5), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void MinMaxNormalisesToTheUnitRange()
    {
        float[] m = [2, 4, 3, 6];
        SubjectSelector.MinMaxNormalize(m);
        Assert.Equal(new[] { 0f, 0.5f, 0.25f, 1f }, m);
        float[] flat = [3, 3, 3];
        SubjectSelector.MinMaxNormalize(flat);
        Assert.Equal(new[] { 0f, 0f, 0f }, flat);
    }

    [Fact]
    public void SamPromptIsTheBoxAndTheDeepestPoint()
    {
        var m = new Mask(10, 8);
        for (int y = 2; y <= 6; y++)
            for (int x = 1; x <= 7; x++) m.Data[y * 10 + x] = 255;
        var box = SubjectSelector.SamPrompt(m, SubjectMode.SamBox)!;
        Assert.Equal(new Core.Geometry.BoxXyxy(1, 2, 8, 7), box.Box);
        Assert.Empty(box.Points);
        var withPoint = SubjectSelector.SamPrompt(m, SubjectMode.SamBoxAndPoint)!;
        var p = Assert.Single(withPoint.Points);
        Assert.True(p.Positive);
        Assert.Equal(4.5f, p.Y); // row 4 is the middle of rows 2..6
        Assert.InRange(p.X, 3.5f, 5.5f);
        Assert.Null(SubjectSelector.SamPrompt(new Mask(4, 4), SubjectMode.SamBox));
    }
}

[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class SubjectSelectorTests
{
    private readonly MobileSamFixture _f;
    public SubjectSelectorTests(MobileSamFixture f) => _f = f;

    private static readonly Lazy<SubjectSelector> Selector = new(() => SubjectSelector.OpenAsync().GetAwaiter().GetResult());

    [Theory]
    [InlineData(SubjectMode.Saliency, 0.75)]
    [InlineData(SubjectMode.SamBox, 0.9)]
    [InlineData(SubjectMode.SamBoxAndPoint, 0.9)]
    public void SelectsTheCat(SubjectMode mode, double minIoU)
    {
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        var mask = Selector.Value.Select(_f.Chelsea, mode, _f.Session);
        double iou = MaskMath.IoU(mask, reference);
        Assert.True(iou >= minIoU, $"{mode}: IoU {iou:0.000} < {minIoU}");
    }

    [Fact]
    public void SaliencyMapIsAtSourceSizeAndNormalised()
    {
        var s = Selector.Value.Saliency(_f.Chelsea);
        Assert.Equal((451, 300), (s.Width, s.Height));
        Assert.InRange(s.Data.Min(), 0f, 0.01f);
        Assert.InRange(s.Data.Max(), 0.99f, 1f);
        Assert.True(s[200, 150] > 0.5f); // on the cat
        Assert.True(s[440, 150] < 0.5f); // the dark background at the right
    }

    [Fact]
    public void SaliencyInBoxSeesOnlyTheCropAndFindsTheBoxedObject()
    {
        var reference = MaskMath.LoadMask(TestPaths.Fixture("reference", "chelsea-cat.png"));
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = 0, y1 = 0;
        for (int y = 0; y < reference.Height; y++)
            for (int x = 0; x < reference.Width; x++)
                if (reference[x, y]) { x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x + 1); y1 = Math.Max(y1, y + 1); }
        // The cat's box (398 px wide): the crop (box + 10 % of its longer side) ends 11 px before the right border, and the map with it.
        var box = new Core.Geometry.BoxXyxy(x0, y0, x1, y1);
        var s = Selector.Value.SaliencyInBox(_f.Chelsea, box, 0.1);
        Assert.Equal((451, 300), (s.Width, s.Height));
        int cropRight = (int)Math.Ceiling(box.X1 + 0.1 * Math.Max(box.Width, box.Height));
        Assert.True(cropRight < s.Width);
        for (int y = 0; y < s.Height; y++)
            for (int x = cropRight; x < s.Width; x++) Assert.Equal(0f, s[x, y]);
        // Inside the box the salient part is the cat's.
        var inBox = new Mask(451, 300);
        var refInBox = new Mask(451, 300);
        for (int y = (int)box.Y0; y < (int)box.Y1; y++)
            for (int x = (int)box.X0; x < (int)box.X1; x++)
            {
                if (s[x, y] > 0.5f) inBox.Data[y * 451 + x] = Mask.On;
                if (reference[x, y]) refInBox.Data[y * 451 + x] = Mask.On;
            }
        double iou = MaskMath.IoU(inBox, refInBox);
        Assert.True(iou >= 0.75, $"IoU in the box {iou:0.000} < 0.75");
    }

    [Fact]
    public async Task SaliencyInBoxRunsTheModelOnceForTheSameCropTwiceInARow()
    {
        // A box's colour refinement and its matte ask for the same crop's map in turn (select --box --matte, the hosts).
        using var selector = await SubjectSelector.OpenAsync(new EngineOptions { Device = ExecutionDevice.Cpu });
        var box = new Core.Geometry.BoxXyxy(60, 40, 360, 280);
        var first = selector.SaliencyInBox(_f.Chelsea, box, 0.1);
        var again = selector.SaliencyInBox(_f.Chelsea, box, 0.1);
        Assert.Equal(1, selector.CropRuns);
        Assert.NotSame(first, again);
        Assert.Equal(first.Data, again.Data);
        // Another crop, or the same crop with other pixels, runs the model again.
        selector.SaliencyInBox(_f.Chelsea, box, 0.2);
        Assert.Equal(2, selector.CropRuns);
        var changed = new BgraImage(_f.Chelsea.Width, _f.Chelsea.Height);
        for (int y = 0; y < changed.Height; y++) _f.Chelsea.Row(y).CopyTo(changed.Row(y));
        changed.Row(100)[100 * BgraImage.BytesPerPixel] ^= 0xFF;
        selector.SaliencyInBox(changed, box, 0.2);
        Assert.Equal(3, selector.CropRuns);
        // The map of the model run itself, as before the cache.
        Assert.Equal(first.Data, Selector.Value.SaliencyInBox(_f.Chelsea, box, 0.1).Data);
    }

    [Fact]
    public void SaliencyInBoxRefusesAMarginOutOfRange()
    {
        var e = Assert.Throws<SegArgumentException>(() => Selector.Value.SaliencyInBox(_f.Chelsea, new Core.Geometry.BoxXyxy(10, 10, 100, 100), 2));
        Assert.Contains("margin", e.Message);
    }

    [Fact]
    public void SamModesNeedASession()
    {
        var e = Assert.Throws<SegArgumentException>(() => Selector.Value.Select(_f.Chelsea, SubjectMode.SamBox));
        Assert.Contains("SAM session", e.Message);
    }
}

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
    public void SamModesNeedASession()
    {
        var e = Assert.Throws<SegArgumentException>(() => Selector.Value.Select(_f.Chelsea, SubjectMode.SamBox));
        Assert.Contains("SAM session", e.Message);
    }
}

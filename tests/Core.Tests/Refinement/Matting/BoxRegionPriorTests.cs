using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using Xunit;

namespace SegPlugins.Core.Tests.Refinement.Matting;

public class BoxRegionPriorTests
{
    private const int W = 100, H = 80;

    /// <summary>An object (40x40 square) and, inside the same box, something else the model took in (a 10x40 strip).</summary>
    private static Mask ObjectAndStrip()
    {
        var sel = new Mask(W, H);
        for (int y = 20; y < 60; y++) for (int x = 20; x < 70; x++) sel.Data[y * W + x] = Mask.On;
        return sel;
    }

    /// <summary>Saliency 1 on the square (x 20..59), a faint 0.1 on the strip (x 60..69), 0 elsewhere, with a 0.3 rim on the square's left column.</summary>
    private static LogitMap SalientSquare()
    {
        var map = new LogitMap(W, H);
        for (int y = 20; y < 60; y++)
        {
            for (int x = 20; x < 60; x++) map.Data[y * W + x] = 1f;
            for (int x = 60; x < 70; x++) map.Data[y * W + x] = 0.1f;
            map.Data[y * W + 20] = 0.3f;
        }
        return map;
    }

    [Fact]
    public void AgreeingSaliencyTakesOutWhatItDoesNotSeeAsTheObject()
    {
        var sel = ObjectAndStrip();
        var region = BoxRegionPrior.Apply(sel, SalientSquare());
        Assert.NotSame(sel, region);
        Assert.True(region[40, 40]);    // the object
        Assert.True(region[20, 40]);    // its faint rim, above the keep threshold (0.2)
        Assert.False(region[65, 40]);   // the strip: saliency 0.1
        Assert.False(region[5, 5]);     // never selected stays unselected
        Assert.Equal(40L * 40, region.Data.LongCount(v => v != 0));
    }

    [Fact]
    public void NeverAddsWhatTheSelectionLeftOut()
    {
        var sel = new Mask(W, H);
        for (int y = 20; y < 60; y++) for (int x = 20; x < 50; x++) sel.Data[y * W + x] = Mask.On; // 3/4 of the salient square
        var region = BoxRegionPrior.Apply(sel, SalientSquare());
        Assert.Equal(sel.Data, region.Data);
    }

    [Fact]
    public void SaliencyOfAnotherObjectLeavesTheSelectionAsItIs()
    {
        var sel = ObjectAndStrip();
        var other = new LogitMap(W, H);
        for (int y = 20; y < 60; y++) for (int x = 60; x < 90; x++) other.Data[y * W + x] = 1f; // overlaps the strip only
        Assert.True(BoxRegionPrior.Agreement(sel.Data, other.Data) < BoxRegionPriorOptions.Default.MinAgreement);
        Assert.Same(sel, BoxRegionPrior.Apply(sel, other));
        // With the gate off the same map would cut the object away: the gate is what protects it.
        var cut = BoxRegionPrior.Apply(sel, other, new BoxRegionPriorOptions { MinAgreement = 0 });
        Assert.False(cut[40, 40]);
    }

    [Fact]
    public void AgreementIsTheIoUOfTheSelectionAndTheSalientObject()
    {
        var sel = ObjectAndStrip(); // 50x40
        // Salient object (> 0.5): the 39x40 square without its rim column; 39x40 inside a 50x40 selection.
        Assert.Equal(39.0 * 40 / (50 * 40), BoxRegionPrior.Agreement(sel.Data, SalientSquare().Data), 9);
        Assert.Equal(0, BoxRegionPrior.Agreement(new Mask(W, H).Data, new LogitMap(W, H).Data));
    }

    [Fact]
    public void SaliencyOfAnotherSizeIsRefused()
    {
        var e = Assert.Throws<SegArgumentException>(() => BoxRegionPrior.Apply(ObjectAndStrip(), new LogitMap(W, H + 1)));
        Assert.Contains("saliency", e.Message);
        Assert.Contains($"{W}x{H + 1}", e.Message);
    }

    [Theory]
    [InlineData(-0.1, 0.2f, 0.6, "margin")]
    [InlineData(0.1, 1f, 0.6, "keep threshold")]
    [InlineData(0.1, 0.2f, 1.5, "min agreement")]
    public void BadOptionsAreRefusedByName(double margin, float keep, double agreement, string name)
    {
        var o = new BoxRegionPriorOptions { Margin = margin, KeepThreshold = keep, MinAgreement = agreement };
        var e = Assert.Throws<SegArgumentException>(() => BoxRegionPrior.Apply(ObjectAndStrip(), SalientSquare(), o));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void FromBoxWithoutASubjectModelIsTheSelectionsMatte()
    {
        var image = new BgraImage(W, H);
        for (int y = 0; y < H; y++)
        {
            var row = image.Row(y);
            for (int x = 0; x < W; x++) { byte v = (byte)(x < 45 ? 200 : 40); row[4 * x] = v; row[4 * x + 1] = (byte)(255 - v); row[4 * x + 2] = 90; row[4 * x + 3] = 255; }
        }
        var sel = ObjectAndStrip();
        var logits = SelectionMatting.ConfidentLogits(sel);
        var plain = SelectionMatting.FromSelection(image, logits, sel);
        var boxed = SelectionMatting.FromBox(image, logits, sel, new Geometry.BoxXyxy(20, 20, 70, 60), subject: null);
        Assert.Equal(plain.Alpha.Data, boxed.Alpha.Data);
    }
}

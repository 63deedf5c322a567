using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using Xunit;

namespace SegPlugins.Core.Tests.Refinement.Matting;

public class SelectionTrimapTests
{
    [Fact]
    public void BandFollowsTheEdgeAtTheWidthScaledToTheImage()
    {
        int w = 100, h = 80;
        var sel = new Mask(w, h);
        for (int y = 20; y < 60; y++) for (int x = 30; x < 70; x++) sel.Data[y * w + x] = Mask.On;
        var logits = new LogitMap(w, h);
        for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = sel.Data[i] != 0 ? 10 : -10;
        var options = new SelectionTrimapOptions { EdgeBand = 0.03 }; // 3 px at 100 px
        var t = SelectionTrimap.Build(new BgraImage(w, h), logits, sel, options);
        Assert.Equal(3, options.EdgeRadius(w, h));
        byte At(int x, int y) => t.Data[y * w + x];
        Assert.Equal(Trimap.Foreground, At(50, 40));
        Assert.Equal(Trimap.Background, At(5, 5));
        // Along the row through the middle: background up to 3 px before the edge at x = 30, unknown across it, foreground after.
        Assert.Equal(Trimap.Background, At(26, 40));
        for (int x = 27; x <= 32; x++) Assert.Equal(Trimap.Unknown, At(x, 40));
        Assert.Equal(Trimap.Foreground, At(33, 40));
    }

    [Fact]
    public void DoubtRulesWidenTheBandOnlyNearTheEdge()
    {
        int w = 100, h = 80;
        var sel = new Mask(w, h);
        for (int y = 20; y < 60; y++) for (int x = 30; x < 70; x++) sel.Data[y * w + x] = Mask.On;
        var logits = new LogitMap(w, h); // the model is unsure everywhere (0)
        var options = new SelectionTrimapOptions { EdgeBand = 0.02, MaxBand = 0.08, UnsureLogit = 1 };
        var t = SelectionTrimap.Build(new BgraImage(w, h), logits, sel, options);
        Assert.Equal(Trimap.Unknown, t.Data[40 * w + 24]); // 6 px outside: widened
        Assert.Equal(Trimap.Background, t.Data[40 * w + 10]); // 20 px outside: beyond the widest band
        Assert.Equal(Trimap.Foreground, t.Data[40 * w + 50]); // deep inside
    }

    [Fact]
    public void AMaskWithoutModelLogits_IsMattedFromItsOwnEdge()
    {
        int w = 60, h = 40;
        var img = new BgraImage(w, h);
        var sel = new Mask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool inside = x >= 20 && x < 45 && y >= 10 && y < 30;
                var px = img.Row(y).Slice(x * 4, 4);
                px[0] = px[1] = px[2] = (byte)(inside ? 220 : 30);
                px[3] = 255;
                if (inside && x < 44) sel.Data[y * w + x] = Mask.On; // one column short of the object
            }
        var logits = new LogitMap(w, h);
        for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = sel.Data[i] != 0 ? 8f : -8f;
        var fromMask = SelectionMatting.FromMask(img, sel);
        Assert.Equal(SelectionMatting.FromSelection(img, logits, sel).Alpha.Data, fromMask.Alpha.Data);
        // The band lets the matte take back the column the selection missed.
        Assert.True(fromMask.Alpha.Data[20 * w + 44] > 200, $"alpha {fromMask.Alpha.Data[20 * w + 44]}");
        Assert.Equal(0, fromMask.Alpha.Data[20 * w + 5]);
    }

    [Fact]
    public void MatteCutOutAndBackgroundAreOneCall()
    {
        var alpha = new SoftMask(2, 1, [255, 128]);
        var fg = new BgraImage(2, 1, [10, 20, 30, 255, 200, 100, 50, 255], 8);
        var matte = new Matte(alpha, fg);
        var cut = matte.CutOut();
        Assert.Equal(new byte[] { 10, 20, 30, 255, 200, 100, 50, 128 }, cut.Pixels);
        var over = matte.ReplaceBackground(Background.Color(0, 0, 0));
        // 128/255 of the foreground colour over black: B = 200*128/255 = 100.4 -> 100.
        Assert.Equal(new byte[] { 10, 20, 30, 255, 100, 50, 25, 255 }, over.Pixels);
        var e = Assert.Throws<SegArgumentException>(() => matte.ReplaceBackground(Background.Blur(8)));
        Assert.Contains("photo", e.Message);
    }
}

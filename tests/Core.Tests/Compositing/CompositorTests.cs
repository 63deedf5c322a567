using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Compositing;

public class CompositorTests
{
    private static BgraImage Solid(int w, int h, byte b, byte g, byte r, byte a = 255)
    {
        var img = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) { var p = img.Row(y).Slice(x * 4, 4); p[0] = b; p[1] = g; p[2] = r; p[3] = a; }
        return img;
    }

    private static byte[] Px(BgraImage img, int x, int y) => img.Row(y).Slice(x * 4, 4).ToArray();

    [Fact]
    public void OverOpaqueColourHasExactRoundedValues()
    {
        var img = Solid(4, 1, 200, 100, 50);
        var alpha = new SoftMask(4, 1, new byte[] { 0, 255, 128, 64 });
        var r = Compositor.ReplaceBackground(img, alpha, Background.Color(r: 30, g: 20, b: 10));
        Assert.Equal(new byte[] { 10, 20, 30, 255 }, Px(r, 0, 0));
        Assert.Equal(new byte[] { 200, 100, 50, 255 }, Px(r, 1, 0));
        Assert.Equal(new byte[] { 105, 60, 40, 255 }, Px(r, 2, 0));  // (200·128 + 10·127 + 127) / 255 = 105 ...
        Assert.Equal(new byte[] { 58, 40, 35, 255 }, Px(r, 3, 0));
    }

    [Fact]
    public void OverTranslucentColourUsesStraightAlphaOver()
    {
        var img = Solid(1, 1, 200, 100, 50);
        var r = Compositor.ReplaceBackground(img, new SoftMask(1, 1, new byte[] { 128 }), Background.Color(30, 20, 10, 100));
        Assert.Equal(new byte[] { 147, 78, 44, 178 }, Px(r, 0, 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(77)]
    [InlineData(128)]
    [InlineData(254)]
    public void NoDarkFringes(byte a)
    {
        var white = Solid(1, 1, 255, 255, 255);
        var mask = new SoftMask(1, 1, new[] { a });
        Assert.Equal(new byte[] { 255, 255, 255, 255 }, Px(Compositor.ReplaceBackground(white, mask, Background.Color(255, 255, 255)), 0, 0));
        Assert.Equal(new byte[] { 255, 255, 255, 255 }, Px(Compositor.ReplaceBackground(white, mask, Background.Color(255, 255, 255, 40)), 0, 0)[..3].Append((byte)255).ToArray());
        var cut = Compositor.CutOut(white, mask);
        Assert.Equal(new byte[] { 255, 255, 255, a }, Px(cut, 0, 0)); // colours stay straight, not premultiplied
    }

    [Fact]
    public void CutOutMultipliesImageAlphaAndKeepsColour()
    {
        var img = Solid(2, 1, 9, 8, 7, 128);
        var r = Compositor.CutOut(img, new SoftMask(2, 1, new byte[] { 200, 0 }));
        Assert.Equal(new byte[] { 9, 8, 7, 100 }, Px(r, 0, 0)); // (200·128 + 127) / 255 = 100
        Assert.Equal(new byte[] { 9, 8, 7, 0 }, Px(r, 1, 0));
        var applied = Compositor.ApplyAsAlpha(img, new SoftMask(2, 1, new byte[] { 200, 3 }));
        Assert.Equal(new byte[] { 9, 8, 7, 200 }, Px(applied, 0, 0));
        Assert.Equal(new byte[] { 9, 8, 7, 3 }, Px(applied, 1, 0));
        Compositor.ApplyAsAlpha(img, new SoftMask(2, 1, new byte[] { 5, 6 }), img); // in place
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, Px(img, 1, 0));
    }

    [Fact]
    public void PictureIsScaledToCoverAndCentred()
    {
        // 2x1 picture (black | white) behind a 4x4 frame: scale 4, visible source x range is centred at 1.0.
        var pic = new BgraImage(2, 1);
        pic.Row(0).Slice(4, 4).Fill(255);
        pic.Row(0)[3] = 255;
        var r = Compositor.ReplaceBackground(new BgraImage(4, 4), new SoftMask(4, 4), Background.Image(pic));
        // x -> source u = 0.5 + (x + 0.5) / 4 - 0.5: 0.125, 0.375, 0.625, 0.875 -> weights 32, 96, 160, 224 of 256.
        Assert.Equal(new byte[] { 32, 96, 159, 223 }, Enumerable.Range(0, 4).Select(x => Px(r, x, 2)[1]).ToArray());
        Assert.All(Enumerable.Range(0, 4), x => Assert.Equal(255, Px(r, x, 3)[3]));
    }

    [Fact]
    public void BlurredBackgroundOfAConstantImageIsTheImage()
    {
        var img = Solid(9, 7, 40, 50, 60);
        var mask = new SoftMask(9, 7);
        var r = Compositor.ReplaceBackground(img, mask, Background.Blur(3));
        Assert.Equal(img.Pixels, r.Pixels);
        Compositor.ReplaceBackground(img, mask, Background.Blur(3), destination: img); // in place keeps working
        Assert.Equal(r.Pixels, img.Pixels);
    }

    [Fact]
    public void BlurredBackgroundKeepsTheForegroundSharp()
    {
        var img = new BgraImage(30, 20);
        var rng = new Random(1);
        rng.NextBytes(img.Pixels);
        for (int i = 3; i < img.Pixels.Length; i += 4) img.Pixels[i] = 255;
        var mask = new Mask(30, 20);
        for (int y = 5; y < 15; y++) mask.Row(y).Slice(10, 10).Fill(255);
        var r = Compositor.ReplaceBackground(img, mask, Background.Blur(2));
        for (int y = 5; y < 15; y++) Assert.Equal(img.Row(y).Slice(40, 40).ToArray().Where((_, i) => i % 4 != 3), r.Row(y).Slice(40, 40).ToArray().Where((_, i) => i % 4 != 3));
        // Outside the selection the noise is smoothed: less variance than the source.
        double Var(BgraImage im) { var v = Enumerable.Range(0, 30).Select(x => (double)im.Row(1)[x * 4]).ToArray(); double m = v.Average(); return v.Sum(t => (t - m) * (t - m)); }
        Assert.True(Var(r) < Var(img) / 4);
    }

    [Fact]
    public void DecontaminationRecoversForegroundColour()
    {
        // Left half background (blue), right half foreground (red); a soft column mixes them as I = aF + (1-a)B.
        int w = 20, h = 10;
        var img = Solid(w, h, 200, 0, 0);
        var alpha = new SoftMask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 10; x < w; x++)
            {
                byte a = x == 10 ? (byte)102 : (byte)255; // a = 0.4 at the edge column
                alpha.Data[y * w + x] = a;
                var p = img.Row(y).Slice(x * 4, 4);
                float af = a / 255f;
                p[0] = (byte)Math.Round(af * 10 + (1 - af) * 200); p[1] = (byte)Math.Round(af * 20); p[2] = (byte)Math.Round(af * 230);
            }
        var plain = Compositor.CutOut(img, alpha);
        var clean = Compositor.CutOut(img, alpha, new CutOutOptions(decontaminate: true, radius: 4));
        var edge = Px(clean, 10, 5);
        Assert.InRange(edge[0], 7, 13);
        Assert.InRange(edge[1], 17, 23);
        Assert.InRange(edge[2], 227, 233);
        Assert.Equal(102, edge[3]);
        Assert.True(Px(plain, 10, 5)[0] > 100); // without it the blue background tints the edge
        Assert.Equal(Px(plain, 15, 5), Px(clean, 15, 5));
    }

    [Fact]
    public void BadInputs()
    {
        var e = Assert.Throws<SegArgumentException>(() => Compositor.CutOut(new BgraImage(4, 3), new SoftMask(3, 4)));
        Assert.Contains("4x3", e.Message); Assert.Contains("3x4", e.Message);
        Assert.Throws<SegArgumentException>(() => Compositor.CutOut(new BgraImage(4, 3), new SoftMask(4, 3), destination: new BgraImage(4, 4)));
        Assert.Throws<SegArgumentException>(() => Background.Blur(-1));
        Assert.Throws<SegArgumentException>(() => new CutOutOptions(true, 0));
        var one = Compositor.ReplaceBackground(Solid(1, 1, 1, 2, 3), new SoftMask(1, 1, new byte[] { 255 }), Background.Blur(5));
        Assert.Equal(new byte[] { 1, 2, 3, 255 }, Px(one, 0, 0));
        Assert.Equal(3, new BgraImage(5, 5).Crop(new SegPlugins.Core.Geometry.PixelRect(1, 1, 2, 3)).Height);
        Assert.Throws<SegArgumentException>(() => new BgraImage(5, 5).Crop(new SegPlugins.Core.Geometry.PixelRect(4, 4, 2, 2)));
    }

    /// <summary>Clamp-to-edge box with per-pass rounding, written plainly.</summary>
    private static byte[] ReferenceBlur(byte[] src, int w, int h, int ch, int r, int passes)
    {
        var cur = (byte[])src.Clone();
        for (int p = 0; p < passes; p++)
        {
            var tmp = new byte[cur.Length];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < ch; c++)
            {
                long s = 0;
                for (int k = -r; k <= r; k++) s += cur[(y * w + Math.Clamp(x + k, 0, w - 1)) * ch + c];
                tmp[(y * w + x) * ch + c] = (byte)Math.Round(s / (double)(2 * r + 1), MidpointRounding.AwayFromZero);
            }
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < ch; c++)
            {
                long s = 0;
                for (int k = -r; k <= r; k++) s += tmp[(Math.Clamp(y + k, 0, h - 1) * w + x) * ch + c];
                cur[(y * w + x) * ch + c] = (byte)Math.Round(s / (double)(2 * r + 1), MidpointRounding.AwayFromZero);
            }
        }
        return cur;
    }

    [Theory]
    [InlineData(1, 1, 1, 2)]
    [InlineData(37, 11, 1, 3)]
    [InlineData(19, 23, 4, 2)]
    [InlineData(130, 7, 4, 9)]
    [InlineData(77, 40, 1, 5)]
    [InlineData(45, 90, 4, 128)]
    [InlineData(150, 300, 1, 129)]
    public void BoxBlurMatchesReference(int w, int h, int ch, int r)
    {
        var data = new byte[w * h * ch];
        new Random(w * h).NextBytes(data);
        var want = ReferenceBlur(data, w, h, ch, r, 3);
        var got = (byte[])data.Clone();
        BoxBlur.Blur(got, 0, w * ch, w, h, ch, r, 3);
        // Fixed-point division may differ from exact rounding by one level at exact .5 cases.
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(want[i] - got[i]) <= 1, $"{i}: {got[i]} vs {want[i]}");
    }
}

public class LargeBlurBackgroundTests
{
    [Fact]
    public void ReducedResolutionBlurApproximatesTheFullBlur()
    {
        int w = 160, h = 120;
        var img = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = img.Row(y).Slice(x * 4, 4);
                p[0] = (byte)((x / 20 + y / 20) % 2 * 200 + 20); p[1] = (byte)(x + y); p[2] = (byte)(3 * x % 256); p[3] = 255;
            }
        var empty = new SoftMask(w, h);
        var fast = Compositor.ReplaceBackground(img, empty, Background.Blur(8));
        var full = img.Clone();
        SegPlugins.Core.Masks.Internal.BoxBlur.Blur(full.Pixels, 0, full.Stride, w, h, 4, SegPlugins.Core.Masks.Internal.BoxBlur.RadiusForSigma(8), 3);
        double err = 0;
        int n = 0;
        for (int y = 20; y < h - 20; y++)
            for (int x = 20; x < w - 20; x++)
                for (int c = 0; c < 3; c++) { err += Math.Abs(fast.Row(y)[x * 4 + c] - full.Row(y)[x * 4 + c]); n++; }
        Assert.True(err / n < 6, $"mean abs difference {err / n:0.00}");
        Assert.Equal(255, fast.Row(60)[60 * 4 + 3]);
        // A constant image stays constant.
        var flat = new BgraImage(w, h);
        flat.Pixels.AsSpan().Fill(90);
        Assert.All(Compositor.ReplaceBackground(flat, empty, Background.Blur(12)).Pixels, v => Assert.Equal(90, v));
    }
}

using Xunit;
using SegPlugins.Core.Effects.MagicSelect;
using SegPlugins.Core.Effects.MagicSelect.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Tests.Effects.MagicSelect;

public class EffectPixelsTests
{
    private static BgraImage Noise(int w, int h, int seed, int stridePad = 0)
    {
        var rng = new Random(seed);
        var px = new byte[(w * 4 + stridePad) * h];
        rng.NextBytes(px);
        return new BgraImage(w, h, px, w * 4 + stridePad);
    }

    private static Mask RandomMask(int w, int h, int seed, double p)
    {
        var rng = new Random(seed);
        var m = new Mask(w, h);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = rng.NextDouble() < p ? Mask.On : Mask.Off;
        return m;
    }

    [Theory]
    [InlineData(1, 1, 0.5)]
    [InlineData(37, 11, 0.1)]
    [InlineData(37, 11, 0.9)]
    [InlineData(64, 5, 0.0)]
    [InlineData(64, 5, 1.0)]
    public void KeepSourceOutsideMatchesPerPixelReference(int w, int h, double p)
    {
        var src = Noise(w, h, 1, stridePad: 8);
        var output = Noise(w, h, 2);
        var sel = RandomMask(w, h, 3, p);
        var expected = output.Clone();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (!sel[x, y])
                    for (int c = 0; c < 4; c++) expected.Row(y)[4 * x + c] = src.Row(y)[4 * x + c];
        EffectPixels.KeepSourceOutside(output, src, sel);
        for (int y = 0; y < h; y++) Assert.True(expected.Row(y).SequenceEqual(output.Row(y)), $"row {y}");
    }

    [Fact]
    public void SelectionMaskClipsToBoundsOrFillsThem()
    {
        var bounds = new PixelRect(2, 1, 3, 2);
        var filled = EffectPixels.SelectionMask(6, 4, bounds, null);
        var sel = RandomMask(6, 4, 5, 0.5);
        var clipped = EffectPixels.SelectionMask(6, 4, bounds, sel);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 6; x++)
            {
                bool inside = x >= 2 && x < 5 && y >= 1 && y < 3;
                Assert.Equal(inside, filled[x, y]);
                Assert.Equal(inside && sel[x, y], clipped[x, y]);
            }
    }

    [Fact]
    public void MaskToGreyIsOpaqueGrey()
    {
        var alpha = new SoftMask(3, 1, [0, 128, 255]);
        var img = EffectPixels.MaskToGrey(alpha);
        Assert.Equal(new byte[] { 0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255 }, img.Row(0).ToArray());
    }

    [Fact]
    public void CopyRectHonoursBothStrides()
    {
        var img = Noise(9, 7, 7, stridePad: 12);
        var rect = new PixelRect(3, 2, 4, 5);
        int stride = 4 * 4 + 6;
        var dst = new byte[stride * 5];
        EffectPixels.CopyRect(img, rect, dst, stride);
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 4; x++)
                for (int c = 0; c < 4; c++)
                    Assert.Equal(img.Row(2 + y)[(3 + x) * 4 + c], dst[y * stride + x * 4 + c]);
    }
}

public class MagicSelectInputTests
{
    [Fact]
    public void ScansBecomeTheSelectionMask()
    {
        var img = new BgraImage(8, 6);
        PixelRect[] scans = [new(1, 1, 3, 1), new(2, 2, 4, 2), new(0, 0, 0, 5)];
        var input = MagicSelectInput.FromScans(img, new PixelRect(1, 1, 5, 3), scans, new Bgra32(1, 2, 3), null);
        Assert.NotNull(input.Selection);
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
            {
                bool expected = (y == 1 && x is >= 1 and < 4) || (y is 2 or 3 && x is >= 2 and < 6);
                Assert.Equal(expected, input.Selection![x, y]);
            }
        Assert.Equal(new Bgra32(1, 2, 3), input.Primary);
        Assert.Equal(Bgra32.White, input.Secondary);
        Assert.False(input.BoundsCoverImage);
    }

    [Fact]
    public void WholeImageScansKeepNoMask()
    {
        var img = new BgraImage(8, 6);
        var input = MagicSelectInput.FromScans(img, new PixelRect(0, 0, 8, 6), [new(0, 0, 8, 4), new(0, 4, 8, 2)]);
        Assert.Null(input.Selection);
        Assert.True(input.BoundsCoverImage);
        // Bounds of the whole image with a hole still need the mask.
        var holed = MagicSelectInput.FromScans(img, new PixelRect(0, 0, 8, 6), [new(0, 0, 8, 4), new(0, 4, 7, 2)]);
        Assert.NotNull(holed.Selection);
        Assert.False(holed.Selection![7, 5]);
    }

    [Fact]
    public void BadSelectionsAreNamed()
    {
        var img = new BgraImage(8, 6);
        Assert.Equal("selection scan", Assert.Throws<SegArgumentException>(() => MagicSelectInput.FromScans(img, new PixelRect(0, 0, 8, 6), [new(5, 0, 4, 1)])).Parameter);
        Assert.Equal("selection bounds", Assert.Throws<SegArgumentException>(() => new MagicSelectInput(img, new PixelRect(0, 0, 9, 6))).Parameter);
        Assert.Equal("selection", Assert.Throws<SegArgumentException>(() => new MagicSelectInput(img, new PixelRect(0, 0, 8, 6), new Mask(8, 5))).Parameter);
    }
}

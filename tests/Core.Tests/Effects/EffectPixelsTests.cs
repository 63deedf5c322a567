using SegPlugins.Core.Effects.MagicSelect.Internal;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using Xunit;

namespace SegPlugins.Core.Tests.Effects;

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

using SegPlugins.Core.Masks;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class FeatherTests
{
    [Fact]
    public void DistanceRampIsCentredOnTheEdge()
    {
        var m = new Mask(20, 3);
        for (int y = 0; y < 3; y++) m.Row(y).Slice(0, 10).Fill(255);
        var f = m.Feather(4);
        // Column 9: inside, 1 px from the nearest outside pixel, signed distance 0.5 -> 0.5 + 0.5/4 = 0.625 -> 159.
        // Column 10: -0.5 -> 0.375 -> 96. Column 11: -1.5 -> 0.125 -> 32. Column 12: -2.5 -> 0.
        var row = f.Row(1).ToArray();
        Assert.Equal(new byte[] { 255, 255, 223, 159, 96, 32, 0, 0 }, row[6..14]);
    }

    [Theory]
    [InlineData(FeatherMode.Distance, 2f)]
    [InlineData(FeatherMode.Distance, 8f)]
    [InlineData(FeatherMode.Gaussian, 2f)]
    [InlineData(FeatherMode.Gaussian, 8f)]
    public void DeepInsideIs255AndFarOutsideIs0(FeatherMode mode, float width)
    {
        var disk = Ascii.Disk(80, 80, 40, 40, 25);
        var f = disk.Feather(width, mode);
        var deep = disk.Shrink((int)Math.Ceiling(2 * width) + 1);
        var far = disk.Grow((int)Math.Ceiling(2 * width) + 1).Invert();
        Assert.False(deep.IsEmpty);
        int soft = 0;
        for (int i = 0; i < f.Data.Length; i++)
        {
            if (deep.Data[i] != 0) Assert.Equal(255, f.Data[i]);
            if (far.Data[i] != 0) Assert.Equal(0, f.Data[i]);
            if (f.Data[i] is > 0 and < 255) soft++;
        }
        Assert.True(soft > 0);
        // Monotone along a ray leaving the disk.
        for (int x = 40; x < 79; x++) Assert.True(f[x, 40] >= f[x + 1, 40]);
    }

    [Fact]
    public void ZeroWidthIsHardAndBadWidthFails()
    {
        var m = Ascii.Parse(".#.", "###");
        Assert.Equal(m.Data, m.Feather(0).Data);
        Assert.Throws<SegArgumentException>(() => m.Feather(-1));
        Assert.Throws<SegArgumentException>(() => m.Feather(float.NaN));
        Assert.Throws<SegArgumentException>(() => new FeatherOptions(2, (FeatherMode)7));
        Assert.True(new Mask(5, 5).Feather(3).BoundingBox() is null);
        var one = new Mask(1, 1); one.Data[0] = 255;
        Assert.Equal(255, one.Feather(5, FeatherMode.Gaussian).Data[0]);
    }

    [Fact]
    public void ChainReadsLikeASentence()
    {
        var m = Ascii.Disk(30, 30, 15, 15, 5);
        var s = m.Grow(4).Feather(2);
        Assert.Equal(255, s[15, 15]);
        Assert.Equal(0, s[0, 0]);
        Assert.True(s[15, 24] > 0); // within the grown radius 9
    }

    [Fact]
    public void SmoothRemovesJaggiesButKeepsBulk()
    {
        var m = Ascii.Disk(40, 40, 20, 20, 12);
        m.Data[20 * 40 + 5] = 255; // a lone spur pixel outside the disk
        var s = m.Smooth(2);
        Assert.False(s[5, 20]);
        Assert.True(s[20, 20]);
        Assert.Equal(m.Data, m.Smooth(0).Data);
        Assert.Throws<SegArgumentException>(() => m.Smooth(-1));
    }
}

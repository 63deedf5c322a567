using SegPlugins.Core.Masks;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class SoftMaskTests
{
    [Fact]
    public void FloatsRoundTripAndClamp()
    {
        var m = SoftMask.FromFloats(3, 2, new[] { 0f, 1f, 0.5f, -3f, 7f, float.NaN });
        Assert.Equal(new byte[] { 0, 255, 128, 0, 255, 0 }, m.Data);
        var f = m.ToFloats();
        Assert.Equal(1f, f[1]);
        Assert.Equal(128f / 255f, f[2], 6);
        Assert.Equal(m.Data, SoftMask.FromFloats(3, 2, f).Data);
    }

    [Fact]
    public void FromFloatsRejectsWrongLength()
    {
        var e = Assert.Throws<SegArgumentException>(() => SoftMask.FromFloats(3, 2, new float[5]));
        Assert.Contains("3x2", e.Message);
        Assert.Throws<SegArgumentException>(() => new SoftMask(0, 5));
    }

    [Fact]
    public void LogitsToSoftMaskViaSigmoid()
    {
        var l = new LogitMap(4, 1, new[] { 0f, 20f, -20f, MathF.Log(3f) });
        var s = l.ToSoftMask();
        Assert.Equal(new byte[] { 128, 255, 0, 191 }, s.Data); // sigmoid(ln 3) = 0.75 -> 191.25
        Assert.Equal(Ascii.Render(new LogitMap(4, 1, new[] { 0.1f, 20f, -20f, -0.1f }).ToMask()),
                     Ascii.Render(new LogitMap(4, 1, new[] { 0.1f, 20f, -20f, -0.1f }).ToSoftMask().ToMask()));
        Assert.Throws<SegArgumentException>(() => l.ToSoftMask(0f));
    }

    [Fact]
    public void ToMaskThresholds()
    {
        var s = new SoftMask(4, 1, new byte[] { 0, 127, 128, 255 });
        Assert.Equal("..##", Ascii.Render(s.ToMask()));
        Assert.Equal("...#", Ascii.Render(s.ToMask(200)));
        Assert.Throws<SegArgumentException>(() => s.ToMask(0));
    }
}

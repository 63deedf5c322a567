using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>
/// The one-channel box passes (running sums, vector window sums, vector vertical lanes) against a direct
/// definition: every output is the clamped window sum rounded as (sum·m + 2³¹) >> 32, m = round(2³²/(2r+1)).
/// The results must match to the level, since tiled and whole-plane blurs are compared for equality elsewhere.
/// </summary>
public class BoxBlurExactTests
{
    [Theory]
    [InlineData(1, 5, 1, 3)]
    [InlineData(3, 4, 1, 1)]
    [InlineData(9, 9, 4, 3)]
    [InlineData(40, 20, 4, 3)]
    [InlineData(41, 3, 4, 1)]
    [InlineData(75, 33, 12, 2)]
    [InlineData(100, 30, 13, 1)]
    [InlineData(137, 50, 1, 3)]
    [InlineData(260, 12, 7, 3)]
    public void OneChannelBlurEqualsDirectWindowSums(int w, int h, int r, int passes)
    {
        foreach (bool binary in new[] { true, false })
        {
            var rng = new Random(w * 31 + h + r);
            var data = new byte[w * h];
            rng.NextBytes(data);
            if (binary)
                for (int i = 0; i < data.Length; i++) data[i] = data[i] < 90 ? (byte)255 : (byte)0;
            var want = Reference(data, w, h, r, passes);
            var exact = (byte[])data.Clone();
            BoxBlur.BlurExact(exact, w, h, r, passes, new BoxBlur.Scratch());
            Assert.Equal(want, exact);
            var plane = (byte[])data.Clone();
            BoxBlur.Blur(plane, 0, w, w, h, 1, r, passes);
            Assert.Equal(want, plane);
        }
    }

    private static byte[] Reference(byte[] src, int w, int h, int r, int passes)
    {
        ulong d = (ulong)(2 * r + 1), mul = ((1UL << 32) + d / 2) / d;
        var a = (byte[])src.Clone();
        var b = new byte[a.Length];
        for (int p = 0; p < passes; p++)
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    ulong s = 0;
                    for (int k = -r; k <= r; k++) s += a[y * w + Math.Clamp(x + k, 0, w - 1)];
                    b[y * w + x] = (byte)((s * mul + (1UL << 31)) >> 32);
                }
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    ulong s = 0;
                    for (int k = -r; k <= r; k++) s += b[Math.Clamp(y + k, 0, h - 1) * w + x];
                    a[y * w + x] = (byte)((s * mul + (1UL << 31)) >> 32);
                }
        }
        return a;
    }
}

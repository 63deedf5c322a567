using SegPlugins.Core.Compositing.Internal;
using SegPlugins.Core.Imaging;
using Xunit;

namespace SegPlugins.Core.Tests.Compositing;

/// <summary>The run-splitting row blend against the plain per-pixel blend over whole background rows.</summary>
public class BlendRunsTests
{
    private static BgraImage Noise(int w, int h, int seed, bool someTranslucent)
    {
        var img = new BgraImage(w, h);
        var rng = new Random(seed);
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            rng.NextBytes(row);
            for (int x = 0; x < w; x++)
            {
                int k = rng.Next(10);
                row[x * 4 + 3] = !someTranslucent || k > 2 ? (byte)255 : k == 0 ? (byte)0 : (byte)rng.Next(256);
            }
        }
        return img;
    }

    /// <summary>Runs of 0, 255 and soft values of assorted lengths, including rows that are all one value.</summary>
    private static byte[] Runs(int w, int h, int seed)
    {
        var m = new byte[w * h];
        var rng = new Random(seed);
        for (int y = 0; y < h; y++)
        {
            if (y % 7 == 3) { m.AsSpan(y * w, w).Fill(255); continue; }
            if (y % 7 == 5) continue;
            for (int x = 0; x < w;)
            {
                int len = Math.Min(w - x, rng.Next(1, 70));
                int kind = rng.Next(3);
                for (int i = 0; i < len; i++) m[y * w + x + i] = kind == 0 ? (byte)0 : kind == 1 ? (byte)255 : (byte)rng.Next(1, 255);
                x += len;
            }
        }
        return m;
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (bool translucent in new[] { false, true })
            for (int bgKind = 0; bgKind < 5; bgKind++)
                yield return new object[] { translucent, bgKind };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunsGiveTheSameResultAsPerPixelBlend(bool translucentImage, int bgKind)
    {
        int w = 173, h = 41;
        var img = Noise(w, h, 1, translucentImage);
        var mask = Runs(w, h, 2);
        var pic = Noise(61, 29, 3, someTranslucent: true);
        var bg = bgKind switch
        {
            0 => BackgroundRows.Transparent,
            1 => BackgroundRows.Solid(10, 20, 30, 255),
            2 => BackgroundRows.Solid(10, 20, 30, 0),
            3 => BackgroundRows.Cover(pic, w, h),
            _ => BackgroundRows.Blurred(img, 9),
        };
        var want = new BgraImage(w, h);
        var bgRow = new byte[w * 4];
        for (int y = 0; y < h; y++)
        {
            bg.FillReference(y, bgRow);
            Blend.Pixels(img.Row(y), mask.AsSpan(y * w, w), bgRow, want.Row(y));
        }
        var got = new BgraImage(w, h);
        Blend.Run(img, mask, got, null, bg);
        Assert.Equal(want.Pixels, got.Pixels);
        // In place (destination is the source) gives the same.
        var inPlace = img.Clone();
        Blend.Run(inPlace, mask, inPlace, null, bg);
        Assert.Equal(want.Pixels, inPlace.Pixels);
    }

    [Fact]
    public void VectorBackgroundSamplingMatchesScalarOnAnyRun()
    {
        var pic = Noise(37, 23, 7, someTranslucent: true);
        var bg = BackgroundRows.Cover(pic, 301, 117);
        var full = new byte[301 * 4];
        var scratch = new int[bg.ScratchLength];
        for (int y = 0; y < 117; y += 5)
        {
            bg.FillReference(y, full);
            foreach (var (x0, x1) in new[] { (0, 301), (0, 1), (13, 14), (40, 211), (300, 301) })
            {
                var part = new byte[(x1 - x0) * 4];
                bg.Fill(y, x0, x1, part, scratch);
                Assert.Equal(full.AsSpan(x0 * 4, (x1 - x0) * 4).ToArray(), part);
            }
        }
    }

    [Theory]
    [InlineData(2, 33, 17)]
    [InlineData(4, 40, 31)]
    [InlineData(7, 50, 50)]
    [InlineData(256, 300, 5)]
    public void ReductionIsTheRoundedBlockMean(int f, int w, int h)
    {
        var img = Noise(w, h, f, someTranslucent: true);
        var small = BackgroundRows.Reduce(img, f);
        int sw = (w + f - 1) / f, sh = (h + f - 1) / f;
        Assert.Equal((sw, sh), (small.Width, small.Height));
        for (int sy = 0; sy < sh; sy++)
            for (int sx = 0; sx < sw; sx++)
                for (int c = 0; c < 4; c++)
                {
                    long sum = 0, n = 0;
                    for (int y = sy * f; y < Math.Min(h, sy * f + f); y++)
                        for (int x = sx * f; x < Math.Min(w, sx * f + f); x++) { sum += img.Row(y)[x * 4 + c]; n++; }
                    Assert.Equal((byte)((sum + n / 2) / n), small.Row(sy)[sx * 4 + c]);
                }
    }
}

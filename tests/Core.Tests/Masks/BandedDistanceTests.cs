using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>The banded byte-distance paths against the plain float transform on masks wide enough for the vector loops.</summary>
public class BandedDistanceTests
{
    /// <summary>Blobs, holes and speckle: long runs, edges at every angle, and isolated pixels.</summary>
    internal static Mask Scene(int w, int h, int seed)
    {
        var m = Ascii.Disk(w, h, w * 0.45, h * 0.5, Math.Min(w, h) * 0.33)
            .Union(Ascii.Random(w, h, 0.004, seed))
            .Subtract(Ascii.Disk(w, h, w * 0.5, h * 0.45, Math.Min(w, h) * 0.08));
        // A full-width stripe and a full-height stripe exercise rows and columns that are all target.
        for (int x = 0; x < w; x++) m.Data[(h / 5) * w + x] = Mask.On;
        for (int y = 0; y < h; y++) m.Data[y * w + w / 7] = Mask.On;
        return m;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 5)]
    [InlineData(2, 3)]
    [InlineData(7, 4)]
    [InlineData(31, 6)]
    [InlineData(50, 2)]
    [InlineData(253, 3)]
    public void WithinRadiusMatchesThresholdedTransformForAnyBandSplit(int r, int bands)
    {
        for (int seed = 0; seed < 3; seed++)
        {
            int w = 131 + 40 * seed, h = 97;
            var m = Scene(w, h, seed);
            foreach (bool target in new[] { true, false })
            {
                var dist = new float[w * h];
                DistanceTransform.SquaredDistance(m.Data, w, h, target, false, dist);
                var got = new byte[w * h];
                DistanceTransform.WithinRadiusBanded(m.Data, w, h, target, r, 200, 3, got, bands);
                for (int i = 0; i < got.Length; i++)
                    Assert.True((dist[i] <= (double)r * r ? 200 : 3) == got[i], $"r={r} bands={bands} seed={seed} target={target} at ({i % w},{i / w}): d²={dist[i]}");
            }
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(0.3)]
    public void WithinRadiusOnUniformAndNoisyMasks(double density)
    {
        var m = Ascii.Random(150, 60, density, 11);
        foreach (bool target in new[] { true, false })
        {
            var dist = new float[m.Data.Length];
            DistanceTransform.SquaredDistance(m.Data, 150, 60, target, false, dist);
            var got = new byte[m.Data.Length];
            DistanceTransform.WithinRadiusBanded(m.Data, 150, 60, target, 3, 1, 2, got, 4);
            for (int i = 0; i < got.Length; i++) Assert.Equal(dist[i] <= 9 ? 1 : 2, got[i]);
        }
    }

    [Fact]
    public void LargeMaskGrowAndShrinkTakeTheParallelPathAndStayExact()
    {
        // Big enough to be split across cores by the public entry point.
        int w = 700, h = 520;
        var m = Scene(w, h, 4);
        foreach (int r in new[] { 1, 9, 60 })
        {
            var dist = new float[w * h];
            DistanceTransform.SquaredDistance(m.Data, w, h, true, false, dist);
            var grown = m.Grow(r);
            for (int i = 0; i < dist.Length; i++) Assert.Equal(dist[i] <= r * r, grown.Data[i] != 0);
            DistanceTransform.SquaredDistance(m.Data, w, h, false, false, dist);
            var shrunk = m.Shrink(r);
            for (int i = 0; i < dist.Length; i++) Assert.Equal(dist[i] > r * r, shrunk.Data[i] != 0);
        }
    }

    [Theory]
    [InlineData(1f, 1)]
    [InlineData(4f, 3)]
    [InlineData(8f, 5)]
    [InlineData(13.5f, 2)]
    [InlineData(29f, 4)]
    public void NarrowFeatherMatchesTheTransformRampForAnyBandSplit(float width, int bands)
    {
        int c = (int)Math.Ceiling(width / 2 + 0.5) + 1;
        Assert.True(c <= Feathering.MaxNarrowReach);
        for (int seed = 0; seed < 3; seed++)
        {
            int w = 160 + 37 * seed, h = 120;
            var m = Scene(w, h, seed);
            Assert.Equal(Feathering.DistanceViaTransform(m.Data, w, h, width), Feathering.DistanceBanded(m.Data, w, h, width, c, bands));
        }
    }

    [Fact]
    public void LargeMaskFeatherTakesTheParallelPathAndStaysExact()
    {
        int w = 700, h = 520;
        var m = Scene(w, h, 5);
        Assert.Equal(Feathering.DistanceViaTransform(m.Data, w, h, 8f), m.Feather(8f).Data);
    }
}

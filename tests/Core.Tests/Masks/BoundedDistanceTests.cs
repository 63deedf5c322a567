using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class BoundedDistanceTests
{
    [Theory]
    [InlineData(0.05, 1)]
    [InlineData(0.02, 3)]
    [InlineData(0.5, 2)]
    [InlineData(0.9, 5)]
    public void ExactWithinTheBoundAndLargerBeyond(double density, int bound)
    {
        for (int seed = 0; seed < 10; seed++)
        {
            var m = Ascii.Random(29, 21, density, seed);
            foreach (bool target in new[] { true, false })
            {
                var full = new float[m.Data.Length];
                var bounded = new float[m.Data.Length];
                DistanceTransform.SquaredDistance(m.Data, 29, 21, target, false, full);
                DistanceTransform.SquaredDistance(m.Data, 29, 21, target, false, bounded, bound);
                for (int i = 0; i < full.Length; i++)
                {
                    if (full[i] <= bound * bound) Assert.Equal(full[i], bounded[i]);
                    else Assert.True(bounded[i] > bound * bound);
                }
            }
        }
    }
}

public class WithinRadiusTests
{
    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.03, 4)]
    [InlineData(0.5, 2)]
    [InlineData(0.0, 3)]
    [InlineData(1.0, 3)]
    [InlineData(0.02, 1000)]
    public void AgreesWithThresholdedTransform(double density, int r)
    {
        for (int seed = 0; seed < 10; seed++)
        {
            var m = Ascii.Random(33, 19, density, seed);
            foreach (bool target in new[] { true, false })
            {
                var dist = new float[m.Data.Length];
                DistanceTransform.SquaredDistance(m.Data, 33, 19, target, false, dist);
                var got = new byte[m.Data.Length];
                DistanceTransform.WithinRadius(m.Data, 33, 19, target, r, 7, 9, got);
                for (int i = 0; i < got.Length; i++) Assert.Equal(dist[i] <= (double)r * r ? 7 : 9, got[i]);
            }
        }
    }
}

public class TiledBlurTests
{
    [Theory]
    [InlineData(150, 130, 2, 3)]
    [InlineData(200, 90, 9, 3)]
    [InlineData(70, 300, 30, 2)]
    [InlineData(5, 3, 4, 3)]
    [InlineData(400, 260, 4, 3)]
    [InlineData(300, 200, 1, 1)]
    public void TiledBlurEqualsWholePlaneBlur(int w, int h, int r, int passes)
    {
        var m = Ascii.Disk(w, h, w * 0.4, h * 0.6, Math.Min(w, h) * 0.3).Union(Ascii.Random(w, h, 0.002, w));
        var whole = (byte[])m.Data.Clone();
        BoxBlur.Blur(whole, 0, w, w, h, 1, r, passes);
        Assert.Equal(whole, Tiles.BlurPlane(m.Data, w, h, r, passes));
    }

    [Theory]
    [InlineData(150, 130, 12, 0)]
    [InlineData(333, 71, 5, 1)]
    [InlineData(64, 64, 0, 2)]
    [InlineData(7, 200, 30, 3)]
    public void ActiveTilesAreThoseWhoseReachOverCellsIsNotUniform(int w, int h, int reach, int seed)
    {
        // Grey levels as well as 0/255, so the cell extremes are really min and max, not just "mixed".
        var rng = new Random(seed);
        var data = new byte[w * h];
        for (int i = 0; i < data.Length; i++) data[i] = 40;
        for (int k = 0; k < 6; k++) data[rng.Next(data.Length)] = (byte)rng.Next(256);
        var m = Ascii.Disk(w, h, w * 0.3, h * 0.3, Math.Min(w, h) * 0.15);
        for (int i = 0; i < data.Length; i++) if (m.Data[i] != 0) data[i] = 40 + 1;
        var got = Tiles.Active(data, w, h, reach, out int tw);
        Assert.Equal((w + Tiles.Size - 1) / Tiles.Size, tw);
        var expected = new List<int>();
        int th = (h + Tiles.Size - 1) / Tiles.Size, cell = Tiles.Cell;
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                // The tile's area grown by reach, rounded out to whole cells.
                int xa = Math.Max(0, tx * Tiles.Size - reach) / cell * cell;
                int xb = Math.Min(w, (Math.Min(w - 1, Math.Min(w, tx * Tiles.Size + Tiles.Size) - 1 + reach) / cell + 1) * cell);
                int ya = Math.Max(0, ty * Tiles.Size - reach) / cell * cell;
                int yb = Math.Min(h, (Math.Min(h - 1, Math.Min(h, ty * Tiles.Size + Tiles.Size) - 1 + reach) / cell + 1) * cell);
                bool mixed = false;
                for (int y = ya; y < yb && !mixed; y++)
                    for (int x = xa; x < xb; x++)
                        if (data[y * w + x] != data[ya * w + xa]) { mixed = true; break; }
                if (mixed) expected.Add(ty * tw + tx);
            }
        Assert.NotEmpty(expected);
        Assert.Equal(expected, got);
    }
}

public class BandedFeatherTests
{
    [Theory]
    [InlineData(1f)]
    [InlineData(2.5f)]
    [InlineData(8f)]
    [InlineData(21f)]
    public void BandedRampEqualsTransformRamp(float width)
    {
        for (int seed = 0; seed < 6; seed++)
        {
            var m = Ascii.Disk(90, 70, 40, 33, 20 + seed).Union(Ascii.Random(90, 70, 0.01 * seed, seed)).Subtract(Ascii.Disk(90, 70, 45, 30, 4));
            int c = (int)Math.Ceiling(width / 2 + 0.5) + 1;
            var reference = Feathering.DistanceViaTransform(m.Data, 90, 70, width);
            if (c <= Feathering.MaxNarrowReach) Assert.Equal(reference, Feathering.DistanceBanded(m.Data, 90, 70, width, c));
            Assert.Equal(reference, Feathering.DistanceBandedWide(m.Data, 90, 70, width, c));
        }
    }
}

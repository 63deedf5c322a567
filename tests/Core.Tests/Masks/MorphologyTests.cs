using SegPlugins.Core.Masks;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class MorphologyTests
{
    private static Mask BruteGrow(Mask m, int r)
    {
        var d = new Mask(m.Width, m.Height);
        for (int y = 0; y < m.Height; y++)
            for (int x = 0; x < m.Width; x++)
                for (int ty = 0; ty < m.Height && d.Data[y * m.Width + x] == 0; ty++)
                    for (int tx = 0; tx < m.Width; tx++)
                        if (m[tx, ty] && (long)(tx - x) * (tx - x) + (long)(ty - y) * (ty - y) <= (long)r * r) { d.Data[y * m.Width + x] = 255; break; }
        return d;
    }

    [Fact]
    public void GrowOneAndTwoGiveEuclideanDisks()
    {
        var m = Ascii.Parse(".......", ".......", ".......", "...#...", ".......", ".......", ".......");
        Assert.Equal(Ascii.Join(".......", ".......", "...#...", "..###..", "...#...", ".......", "......."), Ascii.Render(m.Grow(1)));
        Assert.Equal(Ascii.Join(".......", "...#...", "..###..", ".#####.", "..###..", "...#...", "......."), Ascii.Render(m.Grow(2)));
        // r = 3: (2,2) has d² = 8 <= 9, (3,1) has 10 > 9.
        Assert.Equal(Ascii.Join("...#...", ".#####.", ".#####.", "#######", ".#####.", ".#####.", "...#..."), Ascii.Render(m.Grow(3)));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 4)]
    [InlineData(5, 5)]
    public void GrowAndShrinkMatchBruteForce(int r, int seed)
    {
        var m = Ascii.Random(23, 17, 0.08, seed);
        Assert.Equal(Ascii.Render(BruteGrow(m, r)), Ascii.Render(m.Grow(r)));
        // Shrink is grow of the complement, complemented (outside the image is not background).
        var inv = Ascii.Random(23, 17, 0.9, seed);
        Assert.Equal(Ascii.Render(BruteGrow(inv.Invert(), r).Invert()), Ascii.Render(inv.Shrink(r)));
    }

    [Fact]
    public void ShrinkExact()
    {
        var m = Ascii.Parse(".....", ".###.", ".###.", ".###.", ".....");
        Assert.Equal(Ascii.Join(".....", ".....", "..#..", ".....", "....."), Ascii.Render(m.Shrink(1)));
        Assert.True(m.Shrink(2).IsEmpty);
        // Touching the border: the outside is not background, so the selection keeps the border.
        var edge = Ascii.Parse("###..", "###..", "###..");
        Assert.Equal(Ascii.Join("##...", "##...", "##..."), Ascii.Render(edge.Shrink(1)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void ShrinkOfGrowContainsConvexShapes(int r)
    {
        var disk = Ascii.Disk(40, 40, 19.3, 20.1, 9.5);
        Assert.True(Ascii.Contains(disk.Grow(r).Shrink(r), disk));
        var rect = new Mask(40, 30);
        for (int y = 8; y < 20; y++) rect.Row(y).Slice(10, 22).Fill(255); // clear of the border, where shrinking stops
        Assert.True(Ascii.Contains(rect.Grow(r).Shrink(r), rect));
        Assert.Equal(rect.Data, rect.Grow(r).Shrink(r).Data); // a rectangle closes exactly
    }

    [Fact]
    public void RadiusEdgeCases()
    {
        var m = Ascii.Parse("....", ".#..", "....");
        Assert.Contains("radius", Assert.Throws<SegArgumentException>(() => m.Grow(-1)).Message);
        Assert.Throws<SegArgumentException>(() => m.Shrink(-5));
        Assert.Throws<SegArgumentException>(() => new GrowOptions(-2));
        var copy = m.Grow(0);
        Assert.NotSame(m.Data, copy.Data);
        Assert.Equal(m.Data, copy.Data);
        Assert.Equal(12, m.Grow(int.MaxValue).Area());
        Assert.True(new Mask(4, 3).Grow(int.MaxValue).IsEmpty);
        Assert.True(m.Grow(2).Shrink(int.MaxValue).IsEmpty);
        var full = new Mask(4, 3); full.Data.AsSpan().Fill(255);
        Assert.Equal(12, full.Shrink(int.MaxValue).Area());
        var one = new Mask(1, 1); one.Data[0] = 255;
        Assert.Equal(1, one.Grow(3).Area());
        Assert.Equal(1, one.Shrink(3).Area());
    }
}

using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Tests.Masks;

public class ComponentTests
{
    private static readonly Mask Holey = Ascii.Parse(
        "..........",
        ".#######..",
        ".#.#####..",
        ".#####..#.",
        ".#####..#.",
        ".########.",
        "........#.");

    [Fact]
    public void FillHolesBySize()
    {
        // Holes: (2,2) area 1 and the 2x2 block at (6..7, 3..4) area 4. The background touching the border is not a hole.
        Assert.Equal(Ascii.Join(
            "..........",
            ".#######..",
            ".#######..",
            ".#####..#.",
            ".#####..#.",
            ".########.",
            "........#."), Ascii.Render(Holey.FillHoles(3)));
        Assert.Equal(Ascii.Join(
            "..........",
            ".#######..",
            ".#######..",
            ".########.",
            ".########.",
            ".########.",
            "........#."), Ascii.Render(Holey.FillAllHoles()));
        Assert.Equal(Holey.Data, Holey.FillHoles(0).Data);
    }

    [Fact]
    public void HolesAreFourConnected()
    {
        var m = Ascii.Parse("#####", "#.###", "##.##", "#####");
        // Diagonal background pixels are two holes of 1 px each, so a 1 px limit fills both.
        Assert.Equal(20, m.FillHoles(1).Area());
    }

    [Fact]
    public void IslandsAreEightConnected()
    {
        var m = Ascii.Parse("#.....", ".#....", "....##", "....##", "#.....");
        // The diagonal pair is one island of 2; the lone corner pixel is an island of 1.
        Assert.Equal(Ascii.Join("#.....", ".#....", "....##", "....##", "......"), Ascii.Render(m.RemoveIslands(2)));
        Assert.Equal(Ascii.Join("......", "......", "....##", "....##", "......"), Ascii.Render(m.RemoveIslands(3)));
        Assert.Equal(Ascii.Join("......", "......", "....##", "....##", "......"), Ascii.Render(m.KeepLargestComponent()));
        Assert.Equal(Ascii.Join("#.....", ".#....", "......", "......", "#....."),
            Ascii.Render(m.KeepComponentsContaining(PointPrompt.Include(1.5f, 1.2f), PointPrompt.Include(0, 4.9f), PointPrompt.Include(3, 3))));
        Assert.Throws<SegArgumentException>(() => m.KeepComponentsContaining(PointPrompt.Include(7, 1)));
        Assert.True(new Mask(3, 3).KeepLargestComponent().IsEmpty);
        Assert.Throws<SegArgumentException>(() => m.RemoveIslands(-1));
        Assert.Throws<SegArgumentException>(() => m.FillHoles(-1));
    }

    private static List<long> FloodAreas(Mask m, bool set, bool eight)
    {
        int w = m.Width, h = m.Height;
        var seen = new bool[w * h];
        var areas = new List<long>();
        var stack = new Stack<int>();
        for (int s = 0; s < w * h; s++)
        {
            if (seen[s] || (m.Data[s] != 0) != set) continue;
            long a = 0; seen[s] = true; stack.Push(s);
            while (stack.Count > 0)
            {
                int p = stack.Pop(); a++;
                int px = p % w, py = p / w;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || (!eight && dx != 0 && dy != 0)) continue;
                        int nx = px + dx, ny = py + dy;
                        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                        int q = ny * w + nx;
                        if (seen[q] || (m.Data[q] != 0) != set) continue;
                        seen[q] = true; stack.Push(q);
                    }
            }
            areas.Add(a);
        }
        areas.Sort();
        return areas;
    }

    [Theory]
    [InlineData(0.3, true, true)]
    [InlineData(0.5, true, false)]
    [InlineData(0.6, false, false)]
    [InlineData(0.45, false, true)]
    public void LabellingMatchesFloodFill(double density, bool set, bool eight)
    {
        for (int seed = 0; seed < 10; seed++)
        {
            var m = Ascii.Random(31, 19, density, seed);
            var c = Components.Label(m.Data, m.Width, m.Height, set, eight);
            var areas = c.Area.ToList();
            areas.Sort();
            Assert.Equal(FloodAreas(m, set, eight), areas);
        }
    }

    [Fact]
    public void BoundingBoxAndCrop()
    {
        Assert.Equal(new PixelRect(1, 1, 8, 6), Holey.BoundingBox());
        Assert.Null(new Mask(4, 4).BoundingBox());
        Assert.Null(new SoftMask(4, 4).BoundingBox());
        var crop = Holey.Crop(new PixelRect(1, 2, 3, 2));
        Assert.Equal(Ascii.Join("#.#", "###"), Ascii.Render(crop));
        Assert.Throws<SegArgumentException>(() => Holey.Crop(new PixelRect(8, 0, 3, 1)));
        Assert.Throws<SegArgumentException>(() => Holey.Crop(new PixelRect(0, 0, 0, 1)));
    }
}

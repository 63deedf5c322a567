using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class PolygonTests
{
    [Fact]
    public void SquareTracesToFourCorners()
    {
        var m = Ascii.Parse("....", ".##.", ".##.", "....");
        var set = MaskPolygons.Trace(m);
        var poly = Assert.Single(set.Polygons);
        Assert.Empty(poly.Holes);
        Assert.Equal(new[] { new Vertex(1, 1), new Vertex(3, 1), new Vertex(3, 3), new Vertex(1, 3) }, poly.Outer);
        Assert.Equal("M1 1 L3 1 L3 3 L1 3 Z", MaskPolygons.ToSvgPath(set));
        Assert.Contains("fill-rule=\"evenodd\"", MaskPolygons.ToSvg(set));
    }

    [Fact]
    public void HolesAreInnerRingsAndDiagonalsJoin()
    {
        var m = Ascii.Parse(
            "#####.",
            "#.#.#.",
            "#####.",
            ".....#");
        var set = MaskPolygons.Trace(m);
        // The ring and the diagonal pixel at (5,3) form one 8-connected region with two holes.
        var poly = Assert.Single(set.Polygons);
        Assert.Equal(2, poly.Holes.Count);
        Assert.Equal(m.Data, MaskPolygons.Rasterize(set).Data);
    }

    [Theory]
    [InlineData(1, 1, 0.7)]
    [InlineData(12, 9, 0.5)]
    [InlineData(30, 21, 0.3)]
    [InlineData(25, 25, 0.8)]
    public void TraceThenRasterizeIsExact(int w, int h, double density)
    {
        for (int seed = 0; seed < 8; seed++)
        {
            var m = Ascii.Random(w, h, density, seed);
            var set = MaskPolygons.Trace(m);
            Assert.Equal(Ascii.Render(m), Ascii.Render(MaskPolygons.Rasterize(set)));
            Assert.Equal(m.Data, MaskPolygons.Rasterize(MaskPolygons.FromJson(MaskPolygons.ToJson(set))).Data);
            Assert.Equal(m.Data, MaskPolygons.Rasterize(MaskPolygons.ParseSvgPath(MaskPolygons.ToSvgPath(set), w, h)).Data);
            // Region count equals the 8-connected component count.
            Assert.Equal(SegPlugins.Core.Masks.Internal.Components.Label(m.Data, w, h, true, true).Count, set.Polygons.Count);
        }
    }

    [Fact]
    public void SimplificationKeepsShapeWithFewerVertices()
    {
        var disk = Ascii.Disk(100, 100, 50, 50, 35);
        var exact = MaskPolygons.Trace(disk);
        var simple = MaskPolygons.Trace(disk, 1.0);
        Assert.True(simple.Polygons[0].Outer.Count < exact.Polygons[0].Outer.Count / 2);
        var r = MaskPolygons.Rasterize(simple);
        long inter = r.Intersect(disk).Area(), union = r.Union(disk).Area();
        Assert.True(inter > 0.97 * union, $"IoU {inter}/{union}");
        Assert.Throws<SegArgumentException>(() => MaskPolygons.Trace(disk, -1));
    }

    [Fact]
    public void RasterizerFillsFractionalPolygonsAtPixelCentres()
    {
        // Triangle covering centres (0.5,0.5),(1.5,0.5),(0.5,1.5) only.
        var set = new PolygonSet(3, 3, new[] { new Polygon(new[] { new Vertex(0, 0), new Vertex(2.2, 0), new Vertex(0, 2.2) }, Array.Empty<IReadOnlyList<Vertex>>()) });
        Assert.Equal(Ascii.Join("##.", "#..", "..."), Ascii.Render(MaskPolygons.Rasterize(set)));
        Assert.Throws<SegInputException>(() => MaskPolygons.FromJson("{\"width\":3}"));
        Assert.Throws<SegArgumentException>(() => MaskPolygons.ParseSvgPath("M0 0 C 1 1 2 2 3 3 Z", 3, 3));
    }
}

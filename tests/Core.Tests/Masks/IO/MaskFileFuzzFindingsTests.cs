using SegPlugins.Core.Masks.IO;
using Xunit;

namespace SegPlugins.Core.Tests.Masks.IO;

/// <summary>Mask files with the wrong JSON types or an oversized canvas (fuzz findings) get a clear error naming the file.</summary>
public class MaskFileFuzzFindingsTests
{
    [Theory]
    [InlineData("""{"width":[4],"height":4,"polygons":[]}""")]
    [InlineData("""{"width":"4","height":4,"polygons":[]}""")]
    [InlineData("""{"width":4,"height":{},"polygons":[]}""")]
    public void PolygonJson_NonNumberCanvasSize_IsRefused(string json)
    {
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson(json, "cut.polygons.json"));
        Assert.StartsWith("cut.polygons.json: expected {\"width\":W,\"height\":H,\"polygons\":", e.Message);
    }

    [Fact]
    public void PolygonJson_NonNumberVertex_IsRefused()
    {
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson("""{"width":4,"height":4,"polygons":[{"outer":[[1,1],[[2],2],[3,1]]}]}""", "cut.polygons.json"));
        Assert.Equal("cut.polygons.json: polygons[0].outer[1] must be an [x,y] pair of numbers", e.Message);
    }

    [Theory]
    [InlineData("""{"width":4,"height":4,"polygons":[{"outer":[[1,1],[2,1e999],[3,1]]}]}""", "polygons[0].outer[1] has the coordinate 1e999,")]
    [InlineData("""{"width":4,"height":4,"polygons":[{"outer":[[1,1],[2,2],[3,1]],"holes":[[[-1E400,1],[2,2],[3,1]]]}]}""", "polygons[0].holes[0][0] has the coordinate -1E400,")]
    public void PolygonJson_VertexBeyondDoubleRange_IsRefusedWithFileName(string json, string expected)
    {
        // Such numbers parse as infinities; they used to reach the rasteriser, whose error did not name the file.
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson(json, "cut.polygons.json"));
        Assert.Equal($"cut.polygons.json: {expected} beyond the range of a double; coordinates are pixels", e.Message);
    }

    [Fact]
    public void PolygonJson_LongOverflowingVertex_IsQuotedShort()
    {
        string digits = new('4', 320);
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson($$"""{"width":4,"height":4,"polygons":[{"outer":[[1,1],[2,{{digits}}],[3,1]]}]}""", "cut.polygons.json"));
        Assert.Equal("cut.polygons.json: polygons[0].outer[1] has the coordinate 44444444444444444444..., beyond the range of a double; coordinates are pixels", e.Message);
    }

    [Fact]
    public void PolygonJson_HugeCanvas_IsRefusedBeforeAllocation()
    {
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson("""{"width":46000,"height":46000,"polygons":[]}""", "cut.polygons.json"));
        Assert.Equal("cut.polygons.json: declares a 46000x46000 canvas = 2116 MP, over the limit of 100 MP", e.Message);
    }

    [Theory]
    [InlineData("""{"size":[[3],4],"counts":[12]}""", "a.rle.json: \"size\" must be [height, width] integers")]
    [InlineData("""{"size":[3,"4"],"counts":[12]}""", "a.rle.json: \"size\" must be [height, width] integers")]
    [InlineData("""{"size":[3,4],"counts":[12,"0"]}""", "a.rle.json: counts[1] is not a non-negative integer")]
    [InlineData("""{"size":[3,4],"counts":[[12]]}""", "a.rle.json: counts[0] is not a non-negative integer")]
    [InlineData("""{"size":[50000,50000],"counts":[2500000000]}""", "a.rle.json: declares a 50000x50000 mask = 2500 MP, over the limit of 100 MP")]
    public void RleJson_WrongTypesOrHugeSize_AreRefused(string json, string expected)
    {
        Assert.Equal(expected, Assert.Throws<SegInputException>(() => CocoRle.FromJson(json, "a.rle.json")).Message);
    }
}

using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Tests.Segmentation;

public class PromptSidecarTests
{
    [Fact]
    public void BoxAndPoints_AreRead()
    {
        var s = PromptSidecar.Parse("""{ "box": [2, 2, 10, 8], /* why */ "points": [[20, 20, 1], [3.5, 3, 0]] }""", "a.points.json");
        Assert.Equal(new BoxXyxy(2, 2, 10, 8), s.Box);
        Assert.Equal([new PointPrompt(20, 20, true), new PointPrompt(3.5f, 3, false)], s.Points);
        var set = s.ToPromptSet();
        Assert.Equal(s.Box, set.Box);
        Assert.Equal(2, set.Points.Count);
    }

    [Fact]
    public void EmptyObject_HasNoPrompts()
    {
        var s = PromptSidecar.Parse("{}", "a.points.json");
        Assert.Null(s.Box);
        Assert.Empty(s.Points);
    }

    [Theory]
    [InlineData("""{ "box": [1, 2, 3] }""", "a.points.json: box: expected [x0, y0, x1, y1]")]
    [InlineData("""{ "box": [1, 2, 3, "4"] }""", "a.points.json: box[3]: expected a finite number, got \"4\"")]
    [InlineData("""{ "box": [1, 2, 3, 1e39] }""", "a.points.json: box[3]: expected a finite number, got 1e39")]
    [InlineData("""{ "points": [[1, 1, 2]] }""", "a.points.json: points[0]: label must be 1 (include) or 0 (exclude), got 2")]
    [InlineData("""{ "points": {} }""", "a.points.json: points: expected an array of [x, y, 1 or 0]")]
    [InlineData("""{ "points": [[[[[1]]]]] }""", "a.points.json: not valid JSON (or nested deeper than 4)")]
    [InlineData("""{ "extra": 1 }""", "a.points.json: unknown field \"extra\"; expected \"box\" and/or \"points\"")]
    [InlineData("""[1, 2]""", "a.points.json: expected a JSON object with \"box\" and/or \"points\"")]
    public void BadSidecar_NamesTheFileAndTheField(string json, string expected)
    {
        Assert.StartsWith(expected, Assert.Throws<SegInputException>(() => PromptSidecar.Parse(json, "a.points.json")).Message);
    }

    [Fact]
    public void TooManyPointsOrBytes_AreRefused()
    {
        string points = string.Join(",", Enumerable.Repeat("[1,1,1]", 65));
        Assert.Equal("a.points.json: points: 65 given, at most 64 allowed", Assert.Throws<SegInputException>(() => PromptSidecar.Parse($$"""{"points":[{{points}}]}""", "a.points.json")).Message);
        string big = "{\"box\":[1,2,3,4]" + new string(' ', PromptSidecar.MaxBytes) + "}";
        Assert.StartsWith("a.points.json: is 65,553 bytes; the limit is 65536", Assert.Throws<SegInputException>(() => PromptSidecar.Parse(big, "a.points.json")).Message);
    }
}

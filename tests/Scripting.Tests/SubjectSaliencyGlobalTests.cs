using Xunit;

namespace SegPlugins.Scripting.Tests;

public sealed class SubjectSaliencyGlobalTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public async Task SubjectSaliency_IsTheSaliencyMaskAtTheInputSize_WithoutAPerImageSegmentationSession()
    {
        string recipe = _ws.Write("saliency.csx", "var m = SubjectSaliency();\nSaveText($\"{m.Width}x{m.Height} {m.Area()}\", \"{name}.txt\");\n");
        _ws.Image("in/a.png", 50, 25);
        _ws.Image("in/b.png", 100, 50);
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out);
        Assert.True(run.ExitCode == 0, run.ToString());
        // The fake engine's saliency: everything at least 1/25 of a side from the border.
        Assert.Equal("50x25 1058", File.ReadAllText(Path.Combine(_ws.Out, "a.txt")));
        Assert.Equal("100x50 4232", File.ReadAllText(Path.Combine(_ws.Out, "b.txt")));
        Assert.Equal(1, _ws.Segmenter.Opens);
        Assert.Equal(0, _ws.Segmenter.Views);
    }
}

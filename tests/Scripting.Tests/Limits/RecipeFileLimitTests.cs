using SegPlugins.Scripting.Recipes;
using Xunit;

namespace SegPlugins.Scripting.Tests.Limits;

/// <summary>Recipe sources are bounded before they are read or compiled.</summary>
public sealed class RecipeFileLimitTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public async Task RecipeOverItsSize_IsRefusedUnread()
    {
        // A sparse file: 4 MB and one byte on paper, nothing on disk.
        string recipe = Path.Combine(_ws.Root, "huge.csx");
        using (var f = File.Create(recipe)) f.SetLength(RecipeSource.MaxFileBytes + 1);
        _ws.Image("a.img");
        var run = await _ws.RunAsync(recipe, "a.img");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"segplug run: {recipe}: recipe file is 4194305 bytes; the limit is 4194304", run.Stderr);
        Assert.Empty(_ws.OutputFiles());
    }
}

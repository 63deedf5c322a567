using SegPlugins.Core.Tests.Support;
using System.Buffers.Binary;
using System.IO.Hashing;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting.Recipes;
using Xunit;

namespace SegPlugins.Scripting.Tests.Limits;

/// <summary><c>segplug run --max-megapixels</c>: the per-image memory budget of a batch, checked from the header.</summary>
public sealed class MaxMegapixelsTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();


    private string[] Inputs()
    {
        string dir = Path.Combine(_ws.Root, "in");
        Directory.CreateDirectory(dir);
        ImageIO.SavePng(new BgraImage(100, 80), Path.Combine(dir, "small.png"));
        ImageIO.SavePng(new BgraImage(400, 300), Path.Combine(dir, "big.png"));
        File.WriteAllBytes(Path.Combine(dir, "bomb.png"), CraftedHeaders.PngDeclaring(30000, 30000));
        return [Path.Combine(dir, "big.png"), Path.Combine(dir, "bomb.png"), Path.Combine(dir, "small.png")];
    }

    [Fact]
    public async Task ImagesOverTheBudget_FailAlone_WithFileSizeAndLimit()
    {
        var files = Inputs();
        string recipe = _ws.Write("copy.csx", "Save(Input, \"{name}-copy.png\");");
        var run = await _ws.RunAsync(_ws.Services(codec: CoreEngine.Codec), CancellationToken.None,
            recipe, Path.Combine(_ws.Root, "in"), "--out", _ws.Out, "--max-megapixels", "0.1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"failed    big.png: {files[0]}: image is 400x300 = 0.12 MP, over the limit of 0.1 MP (--max-megapixels)", run.Stdout);
        Assert.Contains($"failed    bomb.png: {files[1]}: image is 30000x30000 = 900 MP, over the limit of 0.1 MP (--max-megapixels)", run.Stdout);
        Assert.Contains("ok        small.png -> small-copy.png", run.Stdout);
        Assert.Equal(["small-copy.png"], _ws.OutputFiles().Where(f => !f.StartsWith('.')));
    }

    [Fact]
    public async Task WithoutTheOption_TheLoaderDefaultStillRefusesADecompressionBomb()
    {
        var files = Inputs();
        string recipe = _ws.Write("copy.csx", "Save(Input, \"{name}-copy.png\");");
        var run = await _ws.RunAsync(_ws.Services(codec: CoreEngine.Codec), CancellationToken.None, recipe, Path.Combine(_ws.Root, "in"), "--out", _ws.Out);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"failed    bomb.png: {files[1]}: image is 30000x30000 = 900 MP, over the limit of 100 MP (--max-megapixels)", run.Stdout);
        Assert.Contains("2 ok, 1 failed", run.Stdout);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("lots")]
    [InlineData("20000")]
    public async Task BadBudget_IsAUsageError(string value)
    {
        string recipe = _ws.Write("copy.csx", "Save(Input, \"{name}-copy.png\");");
        _ws.Image("a.img");
        var run = await _ws.RunAsync(recipe, "a.img", "--max-megapixels", value);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--max-megapixels: expected a number of megapixels above 0 and at most 10000, got \"{value}\"", run.Stderr);
    }
}

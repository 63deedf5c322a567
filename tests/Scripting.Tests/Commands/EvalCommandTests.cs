using SegPlugins.Core;
using SegPlugins.Core.Evaluation;
using SegPlugins.Scripting.Commands;
using Xunit;

namespace SegPlugins.Scripting.Tests.Commands;

public class EvalCommandTests
{
    private static Task<int> Run(params string[] args) => EvalCommand.RunAsync(args, TextWriter.Null, TextWriter.Null, CancellationToken.None);

    /// <summary>A dataset folder with one 4x4 image and ground truth, enough to get past the argument checks.</summary>
    private static string TinyDataset()
    {
        var root = Path.Combine(Path.GetTempPath(), "segplug-evalcmd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "images"));
        Directory.CreateDirectory(Path.Combine(root, "gt"));
        var img = new SegPlugins.Core.Imaging.BgraImage(4, 4);
        SegPlugins.Core.Imaging.ImageIO.SavePng(img, Path.Combine(root, "images", "a.png"));
        var gt = new byte[16];
        gt[5] = 255;
        SegPlugins.Core.Imaging.ImageIO.SaveGrayPng(gt, 4, 4, Path.Combine(root, "gt", "a.png"));
        return root;
    }

    [Fact]
    public async Task DatasetIsRequired()
    {
        var e = await Assert.ThrowsAsync<SegArgumentException>(() => Run("--mode", "box"));
        Assert.Equal("--dataset", e.Parameter);
    }

    [Theory]
    [InlineData("--mode", "boxes", "--mode")]
    [InlineData("--strategy", "magic", "strategy")]
    [InlineData("--strategy", "zoom-in,zoom_in", "--strategy")]
    [InlineData("--max-clicks", "0", "--max-clicks")]
    [InlineData("--limit", "-1", "--limit")]
    [InlineData("--zoom-expansion", "wide", "--zoom-expansion")]
    [InlineData("--colour", "red", "--colour")]
    public async Task BadOptionsAreNamed(string option, string value, string parameter)
    {
        var e = await Assert.ThrowsAsync<SegArgumentException>(() => Run("--dataset", "/nonexistent", option, value));
        Assert.Equal(parameter, e.Parameter);
    }

    [Fact]
    public async Task MissingDatasetIsNamed()
    {
        var e = await Assert.ThrowsAsync<SegInputException>(() => Run("--dataset", "/nonexistent/segplug-data"));
        Assert.Contains("segplug-data", e.Message);
    }

    [Fact]
    public async Task OutputsMayNotGoIntoTheDataset()
    {
        var root = TinyDataset();
        try
        {
            var e = await Assert.ThrowsAsync<SegArgumentException>(() => Run("--dataset", root, "--report", Path.Combine(root, "gt", "r.json")));
            Assert.Equal("--report", e.Parameter);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void StrategyListsParse()
    {
        var zoom = new ZoomInOptions();
        Assert.Equal(ClickStrategies.Names, EvalCommand.ParseStrategies("all", zoom).Select(s => s.Name));
        Assert.Equal(["zoom-in", "all-clicks"], EvalCommand.ParseStrategies("zoom-in, all-clicks", zoom).Select(s => s.Name));
        Assert.Equal(EvaluationMode.Clicks, EvalCommand.ParseMode("clicks"));
        Assert.Equal(EvaluationMode.All, EvalCommand.ParseMode("ALL"));
    }

    [Theory]
    [InlineData("out/report.json", "grabcut", "out/report.grabcut.json")]
    [InlineData("report", "coco", "report.coco")]
    [InlineData("a.b/r.csv", "x", "a.b/r.x.csv")]
    public void SeveralDatasetsNameTheirOutputs(string path, string dataset, string expected) =>
        Assert.Equal(expected.Replace('/', Path.DirectorySeparatorChar), EvalCommand.WithSuffix(path, dataset));

    [Fact]
    public void TheDatasetNameIsItsFolderName()
    {
        Assert.Equal("grabcut", EvalCommand.DatasetName("/data/sets/grabcut/"));
        Assert.Equal("cocomval-dev", EvalCommand.DatasetName("/data/cocomval-dev"));
    }

    [Fact]
    public async Task MissingDatasetAndBadClickOptionsAreNamed()
    {
        var e = await Assert.ThrowsAsync<SegArgumentException>(() => Run("--mode", "box"));
        Assert.Equal("--dataset", e.Parameter);
        e = await Assert.ThrowsAsync<SegArgumentException>(() => Run("--dataset", "/nonexistent", "--click-options", "/nonexistent/v.json"));
        Assert.Contains("/nonexistent/v.json", e.Message);
    }
}

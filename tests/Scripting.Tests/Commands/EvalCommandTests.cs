using SegPlugins.Core;
using SegPlugins.Evaluation;
using SegPlugins.Scripting.Commands;
using Xunit;

namespace SegPlugins.Scripting.Tests.Commands;

public class EvalCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.CliHarness.Run(["eval", .. args]);

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
    public void DatasetIsRequired()
    {
        var (code, _, err) = Run("--mode", "box");
        Assert.Equal(2, code);
        Assert.StartsWith("error: Option '--dataset' is required.", err);
        Assert.Contains("Usage:", err);
    }

    [Theory]
    [InlineData("--mode", "boxes", "error: --mode: 'boxes' is not one of box, clicks, click, all")]
    [InlineData("--strategy", "magic", "error: --strategy: unknown strategy 'magic'")]
    [InlineData("--strategy", "zoom-in,zoom_in", "error: --strategy: 'zoom_in' is listed twice")]
    [InlineData("--max-clicks", "0", "error: --max-clicks: '0' is not a whole number from 1 to 100")]
    [InlineData("--limit", "-1", "error: --limit: '-1' is not a whole number from 1 to")]
    [InlineData("--zoom-expansion", "wide", "error: --zoom-expansion: 'wide' is not a number")]
    [InlineData("--colour", "red", "error: Unrecognized command or argument '--colour'")]
    public void BadOptionsAreNamed(string option, string value, string message)
    {
        // Refused while parsing: the dataset is never opened, the command's usage follows, exit code 2.
        var (code, _, err) = Run("--dataset", "/nonexistent", option, value);
        Assert.Equal(2, code);
        Assert.StartsWith(message, err);
        Assert.Contains("Usage:", err);
    }

    [Fact]
    public void MissingDatasetIsNamed()
    {
        var (code, _, err) = Run("--dataset", "/nonexistent/segplug-data");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains("segplug-data", err);
    }

    [Fact]
    public void OutputsMayNotGoIntoTheDataset()
    {
        var root = TinyDataset();
        try
        {
            var (code, _, err) = Run("--dataset", root, "--report", Path.Combine(root, "gt", "r.json"));
            Assert.Equal(2, code);
            Assert.StartsWith("error: --report: ", err);
            Assert.Contains("is inside the dataset folder", err);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void StrategyListsParse()
    {
        var zoom = new ZoomInOptions();
        Assert.Equal(ClickStrategies.Names, EvalCommand.ParseStrategies("all", zoom).Select(s => s.Name));
        Assert.Equal(["zoom-in", "all-clicks"], EvalCommand.ParseStrategies("zoom-in, all-clicks", zoom).Select(s => s.Name));
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
    public void MissingDatasetAndBadClickOptionsAreNamed()
    {
        var (code, _, err) = Run("--mode", "box");
        Assert.Equal(2, code);
        Assert.Contains("--dataset", err);
        (code, _, err) = Run("--dataset", "/nonexistent", "--click-options", "/nonexistent/v.json");
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/v.json", err);
    }

    [Fact]
    public void TheBoxOracleGoesWithoutZoomAndColours()
    {
        var (code, _, err) = Run("--dataset", "/nonexistent", "--box-oracle", "--box-zoom", "2");
        Assert.Equal(2, code);
        Assert.Contains("--box-oracle", err);
        (code, _, err) = Run("--dataset", "/nonexistent", "--box-oracle", "--box-colors", "on");
        Assert.Equal(2, code);
        Assert.Contains("--box-oracle", err);
    }
}

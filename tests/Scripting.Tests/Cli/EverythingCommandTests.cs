using SegPlugins.Core.Masks.IO;
using SegPlugins.Scripting;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary><c>segplug everything</c> and the FastSAM/text/everything parts of <c>segplug select</c>, on the fixture models.</summary>
public class EverythingCommandTests
{
    private static string Root => CliHarness.Root;

    private static string Fx(params string[] p) => Path.Combine([Root, "tests", "fixtures", .. p]);
    private static string Image => Fx("images", "fastsam_96x48.png");
    private static string FastSam => Fx("models", "fastsam_tiny.onnx");

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void EverythingWritesMasksLabelMapAndRle()
    {
        using var t = new CliTemp();
        var (code, o, e) = Run("everything", "--image", Image, "--fastsam", FastSam, "--out-dir", t.F("masks"), "--label-map", t.F("l.png"), "--rle", t.F("r.json"));
        Assert.True(code == 0, e);
        Assert.Contains("3 masks", o);
        Assert.Equal(3, Directory.GetFiles(t.F("masks"), "mask-*.png").Length);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(t.F("r.json")));
        var items = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(3, items.Length);
        // Largest first: areas 924, 852, 492 px.
        Assert.Equal([924L, 852, 492], items.Select(i => i.GetProperty("area").GetInt64()));
        var m0 = CocoRle.FromJson(items[0].GetProperty("segmentation").GetRawText());
        Assert.Equal(924, m0.Area());
        var labels = Core.Imaging.ImageIO.Load(t.F("l.png"));
        var hist = new int[4];
        for (int y = 0; y < labels.Height; y++)
            for (int x = 0; x < labels.Width; x++) hist[labels.Row(y)[4 * x]]++;
        Assert.Equal([96 * 48 - 924 - 852 - 492, 924, 852, 492], hist);
    }

    [Fact]
    public void SelectWithFastSamPointTextAndEverything()
    {
        using var t = new CliTemp();
        var (code, o, e) = Run("select", "--image", Image, "--fastsam", FastSam, "--point", "24,21", "--out", t.F("p.png"));
        Assert.True(code == 0, e);
        Assert.Contains("mask 924 px", o);
        (code, o, e) = Run("select", "--image", Image, "--fastsam", FastSam, "--everything", "--out", t.F("a.png"));
        Assert.True(code == 0, e);
        Assert.Contains("mask 2268 px", o);
        (code, o, e) = Run("select", "--image", Image, "--fastsam", FastSam, "--text", "cat", "--clip-text", Fx("models", "clip_text_tiny.onnx"),
            "--clip-image", Fx("models", "clip_image_tiny.onnx"), "--clip-vocab", Fx("clip", "tiny_merges.txt"), "--out", t.F("t.png"));
        Assert.True(code == 0, e);
        Assert.Contains("text \"cat\"", o);
        Assert.True(File.Exists(t.F("t.png")));
    }

    [Fact]
    public void ModelsThatCannotDoSomethingSaySo()
    {
        using var t = new CliTemp();
        var (code, _, e) = Run("select", "--image", Image, "--encoder", Fx("models", "sam_encoder_input_output.onnx"), "--decoder", Fx("models", "sam_decoder_multi.onnx"), "--text", "a cup", "--out", t.F("x.png"));
        Assert.Equal(2, code); // a usage error: the arguments ask for something the model cannot do
        Assert.Contains("SAM-family model", e);
        Assert.Contains("not text", e);
        (code, _, e) = Run("select", "--image", Image, "--fastsam", FastSam, "--text", "a cup", "--clip-text", Fx("models", "clip_text_tiny.onnx"), "--out", t.F("x.png"));
        Assert.Equal(2, code); // a usage error: the arguments ask for something the model cannot do
        Assert.Contains("together", e);
        (code, _, e) = Run("everything", "--image", Image, "--fastsam", FastSam, "--points-per-side", "8", "--rle", t.F("x.json"));
        Assert.Equal(2, code); // a usage error: the arguments ask for something the model cannot do
        Assert.Contains("--points-per-side", e);
        (code, _, e) = Run("select", "--image", Image, "--fastsam", FastSam, "--everything", "--point", "1,1", "--out", t.F("x.png"));
        Assert.Equal(2, code); // a usage error: the arguments ask for something the model cannot do
        Assert.Contains("one of", e);
        Assert.False(File.Exists(t.F("x.png")));
        Assert.False(File.Exists(t.F("x.json")));
    }
}

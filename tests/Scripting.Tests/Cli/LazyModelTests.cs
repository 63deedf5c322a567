using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>The real engine behind recipes opens each model only when a recipe first needs it.</summary>
public class LazyModelTests
{
    [Fact]
    public void ASaliencyOnlyRecipeNeverOpensTheSegmentationModel()
    {
        using var t = new CliTemp();
        File.WriteAllText(t.F("saliency.csx"), "var m = SubjectSaliency();\nSaveText($\"{m.Width}x{m.Height}\", \"{name}.txt\");\n");
        Directory.CreateDirectory(t.F("in"));
        File.Copy(Path.Combine(CliHarness.Root, "samples", "coffee.jpg"), t.F("in/coffee.jpg"));
        // SAM files that do not exist: opening them would fail every input.
        var (code, stdout, stderr) = CliHarness.Run("run", t.F("saliency.csx"), t.F("in"), "--out", t.F("out"), "--jobs", "1",
            "--encoder", t.F("missing-encoder.onnx"), "--decoder", t.F("missing-decoder.onnx"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("600x400", File.ReadAllText(t.F("out/coffee.txt")));
        Assert.DoesNotContain("missing-encoder", stdout + stderr);

        // A recipe that segments does need it, and says which file is missing.
        File.WriteAllText(t.F("segment.csx"), "var p = SelectBox(10, 10, 100, 100);\nSave(p.Mask, \"{name}-mask.png\");\n");
        var (code2, out2, err2) = CliHarness.Run("run", t.F("segment.csx"), t.F("in"), "--out", t.F("out2"), "--jobs", "1",
            "--encoder", t.F("missing-encoder.onnx"), "--decoder", t.F("missing-decoder.onnx"));
        Assert.Equal(1, code2);
        Assert.Contains("missing-encoder.onnx", out2 + err2);
    }
}

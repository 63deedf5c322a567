using System.Text.Json;
using SegPlugins.Core.Imaging;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>
/// <c>segplug eval</c> end to end with the real MobileSAM and u2netp models on the committed sample photos and
/// their reviewed reference masks (tests/fixtures/reference), laid out as a dataset in a temp folder.
/// </summary>
public class EvalEndToEndTests
{
    [Fact]
    public void EvalsTwoCommittedPhotosWithBothDefaultAndFeedbackStrategies()
    {
        using var t = new CliTemp();
        var data = Directory.CreateDirectory(t.F("data")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "images"));
        Directory.CreateDirectory(Path.Combine(data, "gt"));
        File.Copy(Path.Combine(CliHarness.Root, "samples", "chelsea.png"), Path.Combine(data, "images", "chelsea.png"));
        File.Copy(Path.Combine(CliHarness.Root, "tests", "fixtures", "reference", "chelsea-cat.png"), Path.Combine(data, "gt", "chelsea.png"));
        File.Copy(Path.Combine(CliHarness.Root, "samples", "coffee.jpg"), Path.Combine(data, "images", "coffee.jpg"));
        File.Copy(Path.Combine(CliHarness.Root, "tests", "fixtures", "reference", "coffee-cup-saucer.png"), Path.Combine(data, "gt", "coffee.png"));

        var (code, stdout, stderr) = CliHarness.Run("eval", "--dataset", data, "--mode", "all", "--max-clicks", "3",
            "--strategy", "subject-guided,feedback-logits", "--report", t.F("r.json"), "--per-image", t.F("p.csv"), "--plot", t.F("p.svg"));
        Assert.True(code == 0, stderr);

        using var doc = JsonDocument.Parse(File.ReadAllText(t.F("r.json")));
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("images").GetInt32());
        Assert.Equal("subject-guided", root.GetProperty("strategy").GetString());
        // The reference masks are the objects a click or a box on these photos selects; anything far below means
        // the pipeline (prompt mapping, thresholds, ignore band, protocol) is broken.
        Assert.InRange(root.GetProperty("tight_box_miou").GetDouble(), 0.80, 1.0);
        var strategies = root.GetProperty("strategies").EnumerateArray().ToArray();
        Assert.Equal(["subject-guided", "feedback-logits"], strategies.Select(s => s.GetProperty("strategy").GetString()));
        foreach (var s in strategies)
        {
            var curve = s.GetProperty("miou_at_clicks").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(3, curve.Length);
            Assert.InRange(curve[^1], 0.85, 1.0);
            Assert.InRange(s.GetProperty("noc90").GetDouble(), 1.0, 3.0);
            Assert.True(s.GetProperty("click_ms_median").GetDouble() > 0);
        }
        Assert.True(root.GetProperty("encoder_ms_median").GetDouble() > 0);

        var rows = File.ReadAllLines(t.F("p.csv"));
        Assert.Equal(1 + 2 * 2, rows.Length); // header + two images x two strategies
        var svg = File.ReadAllText(t.F("p.svg"));
        Assert.Contains("subject-guided", svg);
        Assert.Contains("feedback-logits", svg);
        Assert.Contains("NoC90", stdout);
        // Nothing was written among the inputs.
        Assert.Equal(2, Directory.GetFiles(Path.Combine(data, "images")).Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(data, "gt")).Length);
    }
}

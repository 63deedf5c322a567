using System.Text.Json;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting;
using Xunit;

namespace SegPlugins.Scripting.Tests.Commands;

public class MatteEvalCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => Cli.CliHarness.Run(["eval", .. args]);

    /// <summary>A matting dataset of one 40x30 composite: a soft vertical edge, its alpha and a trimap around the edge.</summary>
    private static string TinyMattingDataset(bool withTrimap = true)
    {
        var root = Path.Combine(Path.GetTempPath(), "segplug-matteeval-" + Guid.NewGuid().ToString("N"));
        foreach (var d in new[] { "images", "alpha", "trimaps" }) Directory.CreateDirectory(Path.Combine(root, d));
        int w = 40, h = 30;
        var img = new BgraImage(w, h);
        var alpha = new byte[w * h];
        var tri = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float a = Math.Clamp((x - 15) / 10f, 0f, 1f);
                alpha[y * w + x] = (byte)Math.Round(a * 255);
                tri[y * w + x] = x < 12 ? (byte)0 : x >= 28 ? (byte)255 : (byte)128;
                var p = img.Row(y).Slice(4 * x, 4);
                p[2] = (byte)Math.Round(a * 230 + (1 - a) * 20);
                p[1] = (byte)Math.Round(a * 50 + (1 - a) * 160);
                p[0] = (byte)Math.Round(a * 40 + (1 - a) * 210);
                p[3] = 255;
            }
        ImageIO.SavePng(img, Path.Combine(root, "images", "soft.png"));
        ImageIO.SaveGrayPng(alpha, w, h, Path.Combine(root, "alpha", "soft.png"));
        if (withTrimap) ImageIO.SaveGrayPng(tri, w, h, Path.Combine(root, "trimaps", "soft.png"));
        return root;
    }

    [Fact]
    public void TrimapPromptWritesTheReportAndPerImageTable()
    {
        var root = TinyMattingDataset();
        var outDir = Path.Combine(Path.GetTempPath(), "segplug-matteeval-out-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outDir);
        try
        {
            var json = Path.Combine(outDir, "r.json");
            var csv = Path.Combine(outDir, "r.csv");
            var (code, stdout, err) = Run("--dataset", root, "--mode", "matte", "--matte-prompt", "trimap", "--report", json, "--per-image", csv);
            Assert.True(code == 0, err);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var r = doc.RootElement;
            Assert.Equal(1, r.GetProperty("images").GetInt32());
            foreach (var key in new[] { "matte_sad", "matte_mse", "matte_grad", "matte_conn", "matte_sad_unknown", "matte_ms_median" })
                Assert.Equal(JsonValueKind.Number, r.GetProperty(key).ValueKind);
            // The ramp is recovered: far below the SAD of a hard edge at its middle (about 0.03 here).
            Assert.True(r.GetProperty("matte_sad").GetDouble() < 0.01, r.GetProperty("matte_sad").ToString());
            Assert.Equal(r.GetProperty("matte_sad").GetDouble(), r.GetProperty("matte_sad_unknown").GetDouble(), 3);
            var lines = File.ReadAllLines(csv);
            Assert.StartsWith("name,width,height,unknown_px,sad,", lines[0]);
            Assert.StartsWith("soft,40,30,480,", lines[1]);
            Assert.Contains("soft", stdout);
        }
        finally
        {
            Directory.Delete(root, true);
            Directory.Delete(outDir, true);
        }
    }

    [Fact]
    public void TrimapPromptWithoutTrimapsNamesTheFolder()
    {
        var root = TinyMattingDataset(withTrimap: false);
        try
        {
            var (code, _, err) = Run("--dataset", root, "--mode", "matte");
            Assert.Equal(1, code);
            Assert.Contains("trimaps", err);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void UnknownMattePromptIsRefused()
    {
        var (code, _, err) = Run("--dataset", "x", "--mode", "matte", "--matte-prompt", "clicks");
        Assert.Equal(2, code);
        Assert.Contains("--matte-prompt: 'clicks' is not one of trimap, box", err);
    }

    [Fact]
    public void ReportInsideTheDatasetIsRefused()
    {
        var root = TinyMattingDataset();
        try
        {
            var (code, _, err) = Run("--dataset", root, "--mode", "matte", "--report", Path.Combine(root, "r.json"));
            Assert.Equal(2, code);
            Assert.Contains("--report", err);
            Assert.Contains("inside the dataset folder", err);
        }
        finally { Directory.Delete(root, true); }
    }
}

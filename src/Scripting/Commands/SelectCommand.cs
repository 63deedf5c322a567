using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.IO;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary>Everything <c>segplug select</c> was asked, after parsing.</summary>
public sealed record SelectOptions
{
    public required string Image { get; init; }
    public required SegmenterArgs Model { get; init; }
    public IReadOnlyList<PointPrompt> Points { get; init; } = [];
    public BoxXyxy? Box { get; init; }
    public string? MaskIn { get; init; }
    public string? Out { get; init; }
    public string? Cutout { get; init; }
    public string? Logits { get; init; }
    public string? LowRes { get; init; }
    /// <summary>
    /// Read the first click with the salient-object model: null (the default) where the prompt allows it (points, the
    /// first one including, no box, --mask-in or --at-once), true to require it, false never.
    /// </summary>
    public bool? SubjectGuide { get; init; }
    public bool AtOnce { get; init; }
    public bool Colors { get; init; } = true;
    /// <summary>Write the selection as an alpha matte (hair, fur) and the cut-out with its foreground colours.</summary>
    public bool Matte { get; init; }
    public string? Text { get; init; }
    public bool Everything { get; init; }
    public int PointsPerSide { get; init; }
    /// <summary>An existing selection to edit by prompt (with <see cref="Op"/>).</summary>
    public string? Base { get; init; }
    public SelectionMode? Op { get; init; }
}

/// <summary>
/// <c>segplug select</c>: one prediction from points and/or a box, written as mask PNG and .npy logits; with
/// <c>--base MASK.png --op add|subtract|intersect</c> it edits an existing selection by prompt. FastSAM, text prompts
/// and <c>--everything</c> go to <see cref="SelectMoreCommand"/>.
/// </summary>
public static class SelectCommand
{
    public static Command Create()
    {
        var image = CliOptions.InputFile("--image", "IMG", "the photo to select in (PNG, JPEG or BMP)", required: true);
        var model = new SegmenterOptions();
        var points = CliOptions.Points();
        var box = CliOptions.Box();
        var maskIn = CliOptions.InputFile("--mask-in", "PREV_LOW.npy", "low-res logits written earlier with --low-res, to refine step by step");
        var outMask = CliOptions.OutputFile("--out", "MASK.png", "the mask, 8-bit 0/255 (default: IMG-mask.png in the current folder)");
        var cutout = CliOptions.OutputFile("--cutout", "CUT.png", "the photo with the selection's alpha");
        var logits = CliOptions.OutputFile("--logits", "LOGITS.npy", "the model's full-resolution logits [H,W] float32");
        var lowRes = CliOptions.OutputFile("--low-res", "LOW.npy", "the selection's 256x256 low-res logits, for --mask-in");
        var guide = CliOptions.OnOff("--subject-guide", "read the first click as \"this object\" with the u2netp subject model (on by default where the prompt allows it: points, the first one including)", true, bareMeansOn: true);
        var atOnce = CliOptions.Flag("--at-once", "send all points in one prediction instead of as clicks in order");
        var colors = CliOptions.OnOff("--colors", "refine the model's answer with the image's colours, the clicks and the box", true);
        var matte = CliOptions.Flag("--matte", "write a soft mask (alpha matte for hair and fur) and a cut-out with the matte's foreground colours");
        var text = new Option<string>("--text") { Description = "a text prompt (FastSAM with CLIP), e.g. \"a red cup\"", HelpName = "TEXT" };
        var everything = CliOptions.Flag("--everything", "the union of every object mask");
        var pointsPerSide = CliOptions.Int("--points-per-side", "N", "grid for --everything with SAM models (default 32, 16 on the CPU)", 0, 1, 128);
        var baseMask = CliOptions.InputFile("--base", "MASK.png", "a selection to edit by prompt (with --op); 8-bit PNG, RLE .json or polygon .json");
        var op = CliOptions.Choice<SelectionMode?>("--op", "how the prompt's mask changes --base",
            [("add", SelectionMode.Add), ("subtract", SelectionMode.Subtract), ("intersect", SelectionMode.Intersect)], null);

        var command = new Command("select", """
            One selection from points and/or a box: mask PNG, cut-out, .npy logits.
            Several --point are clicks in the order given, each refining the answer to the ones before. A first click
            (an including --point, no --box) is read as "this object" with the u2netp subject model, as the effect and
            serve do (--subject-guide off: the model's own reading). Every answer is refined with the image's colours
            (--colors off: the model's answer as it is; --logits stays the model's).
            FastSAM: --fastsam F.onnx or --model fastsam-s|fastsam-x, then --text (needs CLIP: --clip-text, --clip-image
            or clip-vit-b32 in the model cache) or --everything. SAM models take --everything too, not --text.
            Edit a selection you have: --base MASK.png --op add|subtract|intersect with --point/--box (the model's
            answer for the prompt is added to, subtracted from or intersected with it, as the selection editor does).
            """)
        {
            image, points, box, maskIn, outMask, cutout, logits, lowRes, guide, atOnce, colors, matte, text, everything, pointsPerSide, baseMask, op,
        };
        model.AddTo(command, clip: true);
        command.Validators.Add(r =>
        {
            if (r.GetResult(atOnce) is not null && r.GetResult(maskIn) is not null)
                r.AddError("--at-once: and --mask-in both say how to read the points; --mask-in already makes one prediction");
            if ((r.GetResult(baseMask) is null) != (r.GetResult(op) is null))
                r.AddError("--base: --base and --op go together: the selection to edit and how the prompt changes it");
        });
        command.SetAction((p, ct) => RunAsync(new SelectOptions
        {
            Image = p.GetRequiredValue(image),
            Model = model.Read(p),
            Points = p.GetValue(points) ?? [],
            Box = p.GetValue(box),
            MaskIn = p.GetValue(maskIn),
            Out = p.GetValue(outMask),
            Cutout = p.GetValue(cutout),
            Logits = p.GetValue(logits),
            LowRes = p.GetValue(lowRes),
            SubjectGuide = p.GetResult(guide) is { Implicit: false } ? p.GetValue(guide) == CliOptions.Switch.On : null,
            AtOnce = p.GetValue(atOnce),
            Colors = p.GetValue(colors) == CliOptions.Switch.On,
            Matte = p.GetValue(matte),
            Text = p.GetValue(text),
            Everything = p.GetValue(everything),
            PointsPerSide = p.GetValue(pointsPerSide),
            Base = p.GetValue(baseMask),
            Op = p.GetValue(op),
        }, CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(SelectOptions o, CommandIO io, CancellationToken ct)
    {
        if (o.Matte && (o.Base is not null || o.Text is not null || o.Everything || o.Model.IsFastSam))
            throw new SegArgumentException("--matte", "mattes a SAM selection from --point/--box; with --base, --text, --everything or FastSAM use 'segplug cutout --matte' on the mask");
        if (o.Base is not null) return await EditAsync(o, io, ct);
        if (o.Text is not null || o.Everything || o.Model.IsFastSam) return await SelectMoreCommand.RunAsync(o, io, ct);
        var stdout = io.Out;
        var stderr = io.Err;
        var phases = PhaseLog.FromEnvironment(stderr);
        phases.Mark("command line");
        var prompts = ReadPrompts(o);
        if (prompts.IsEmpty)
            throw new SegArgumentException("prompt", "no --point or --box given; add at least one");
        bool guideFits = ClickDefaults.GuidesFirstClick(prompts.Points, prompts.Box) && prompts.MaskInput is null && !o.AtOnce;
        if (o.SubjectGuide == true && !guideFits)
            throw new SegArgumentException("--subject-guide", "reads the first click: give an including --point first, without --box, --mask-in or --at-once");
        bool guided = guideFits && o.SubjectGuide != false;
        string outMask = o.Out ?? Path.ChangeExtension(Path.GetFileName(o.Image), null) + "-mask.png";
        var outputs = OutputPaths.Check([o.Image], ("--out", outMask), ("--cutout", o.Cutout), ("--logits", o.Logits), ("--low-res", o.LowRes));

        // A box alone opens the subject model too (its crop's map refines the box; the matte uses it).
        bool boxAlone = prompts.Box is not null && prompts.Points.Count == 0 && prompts.MaskInput is null;
        bool subjectModel = guided || (boxAlone && (o.Colors || o.Matte));
        var (img, model, session) = await LoadAndOpenAsync(o, prompts, stderr, phases, ct, subjectModel);
        using var _ = session;
        phases.Mark("models opened");
        OneShotMemory.CollectNow(); // the model files' bytes are garbage now; the encoder's peak comes next
        phases.Mark("collected");
        var sw = Stopwatch.StartNew();
        session.SetImage(img, ct);
        double encMs = sw.Elapsed.TotalMilliseconds;
        phases.Mark("encoder");
        Mask mask;
        LogitMap low;
        Func<LogitMap> full;
        float score;
        string note = "";
        LogitMap? saliency = null;
        if (guided)
        {
            SubjectSelector? subject = null;
            try { subject = await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct); }
            // Asked for by default only: without the subject model the click is the model's own reading.
            catch (SegException e) when (o.SubjectGuide is null) { note = $", first click read without the subject model ({e.Message})"; }
            if (subject is not null)
            {
                using (subject)
                {
                    sw.Restart();
                    saliency = subject.Saliency(img, ct);
                    note = string.Create(CultureInfo.InvariantCulture, $", subject model {sw.Elapsed.TotalMilliseconds:0} ms");
                }
            }
        }
        // A box alone is refined with the salient-object map of its crop (ColorRefineOptions.BoxSaliency); --matte reuses the model.
        SubjectSelector? boxSubject = null;
        if (boxAlone && (o.Colors || o.Matte))
        {
            try { boxSubject = await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct); }
            // Without the subject model the box is still refined, with the model and the colours alone; a matte needs it.
            catch (SegException e) when (!o.Matte) { note += $", box refined without the subject model ({e.Message})"; }
        }
        using var __ = boxSubject;
        sw.Restart();
        if (o.AtOnce || prompts.MaskInput is not null)
        {
            var prediction = session.Predict(prompts, null, ct);
            (mask, low, full, score) = (prediction.Mask, prediction.LowResLogits, () => prediction.Logits, prediction.Score);
            if (o.Colors)
            {
                var prior = ColorRefiner.PriorFor(prediction, prompts);
                var boxMap = boxSubject is null ? null : ColorRefiner.BoxSaliency(boxSubject, img, prompts, null, ct);
                mask = ColorRefiner.Refine(img, prediction.UpscaleLogits(prior), new ColorRefineInput { Clicks = prompts.Points, Box = prompts.Box, Saliency = boxMap }, null, ct);
                low = Core.Segmentation.MaskFeedback.FromSelection(mask, prior.LowResLogits);
            }
        }
        else
        {
            var chain = ClickDefaults.NewChain(session, img, saliency, o.Colors, session.ForImage, boxSubject);
            var r = chain.Predict(prompts.Points, prompts.Box, ct);
            (mask, low, full, score) = (r.Mask, r.LowResLogits, () => r.Logits, r.Proposal.Score);
            if (saliency is not null)
                note += r.SubjectBox is { } b && prompts.Points.Count == 1
                    ? string.Create(CultureInfo.InvariantCulture, $", guided by the subject (box {b.X0:0},{b.Y0:0},{b.X1:0},{b.Y1:0})")
                    : prompts.Points.Count == 1 ? ", subject guide kept the plain click" : "";
            if (prompts.Points.Count > 1) note += $", {prompts.Points.Count} clicks in order";
        }
        if (o.Colors) note += boxSubject is not null && ColorRefiner.UsesBoxSaliency(prompts) ? ", refined with colours and the box's subject map" : ", refined with colours";
        double decMs = sw.Elapsed.TotalMilliseconds;
        phases.Mark("click");
        if (saliency is not null && model.OneShot)
        {
            // A large image's map and the click's working buffers are garbage now; the outputs' buffers come next.
            saliency = null;
            OneShotMemory.CollectNow();
        }

        outputs.CreateFolders();
        if (o.Matte && prompts.Box is { } matteBox && prompts.Points.Count == 0 && prompts.MaskInput is null)
        {
            // A box alone: the matte's region is limited to the box's salient object (docs/matting.md).
            note += SelectMatte.Save(img, full(), mask, outMask, o.Cutout, ct, matteBox, boxSubject!);
        }
        else if (o.Matte) note += SelectMatte.Save(img, full(), mask, outMask, o.Cutout, ct);
        else
        {
            ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
            if (o.Cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), o.Cutout);
        }
        if (o.Logits is not null) NpyFile.Save(full(), o.Logits);
        if (o.LowRes is not null) NpyFile.Save(low, o.LowRes);
        phases.Mark("written");

        var area = mask.Area();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Image}: {img.Width}x{img.Height}, mask {area} px ({100.0 * area / img.PixelCount:0.0}%), score {score:0.000}, encoder {encMs:0} ms, click {decMs:0} ms{note} -> {outMask}{(o.Cutout is null ? "" : ", " + o.Cutout)}"));
        return 0;
    }

    /// <summary>
    /// Decodes the image and opens the models. When the image's header reads and the models are on disk, the models
    /// are opened on other threads while the image decodes (a one-shot select's cores are otherwise idle then); the
    /// errors stay those of one step after the other: a bad image or prompt is reported before any model problem,
    /// and the models are not fetched for an image that cannot be read.
    /// </summary>
    internal static async Task<(BgraImage Image, ModelArgs Model, SamSession Session)> LoadAndOpenAsync(SelectOptions o, PromptSet prompts,
        TextWriter stderr, PhaseLog phases, CancellationToken ct, bool subjectModel = false)
    {
        long pixels = PixelsFromHeader(o.Image);
        if (pixels < 0 || !o.Model.Sam.IsOnDisk())
        {
            var img = ImageIO.Load(o.Image);
            prompts.Validate(img.Width, img.Height);
            phases.Mark("image decoded");
            var model = ModelFor(o, img.PixelCount, subjectModel);
            return (img, model, await model.OpenSamAsync(stderr, ct));
        }
        var overlapped = ModelFor(o, pixels, subjectModel);
        var opening = Task.Run(() => overlapped.OpenSamAsync(stderr, ct), ct);
        BgraImage image;
        try
        {
            image = ImageIO.Load(o.Image);
            prompts.Validate(image.Width, image.Height);
            phases.Mark("image decoded");
        }
        catch
        {
            DisposeWhenDone(opening);
            throw;
        }
        return (image, overlapped, await opening);
    }

    /// <summary>Waits for the models being opened and closes them; their own error gives way to the image's.</summary>
    private static void DisposeWhenDone(Task<SamSession> opening)
    {
        try { opening.GetAwaiter().GetResult().Dispose(); }
        catch (Exception) { /* the image's error is the one reported, as when the models were opened after it */ }
    }

    /// <summary>The image's pixel count from its header; -1 when the header does not read (the full decode then says why).</summary>
    private static long PixelsFromHeader(string path)
    {
        try
        {
            var (w, h) = ImageIO.Identify(path);
            return (long)w * h;
        }
        catch (SegException)
        {
            return -1;
        }
    }

    /// <summary>
    /// One selection per process: a large image's run memory is not kept (peak memory), a small one's is (it also
    /// makes the first run faster); see OneShotMemory. When the subject model runs too (<paramref name="twoModels"/>),
    /// the models run one after the other and share one arena: a 1 MP select with a box alone peaks at 550 MB instead of
    /// 770 (a first click read with the subject model: 530-560 against 690), the same mask, time within the machine's noise.
    /// </summary>
    private static ModelArgs ModelFor(SelectOptions o, long pixels, bool twoModels)
    {
        bool large = pixels >= OneShotMemory.LargeImagePixels;
        if (large) OneShotMemory.ReturnLargeBlocks();
        return o.Model.Sam with { OneShot = large, ShareRunMemory = twoModels };
    }

    /// <summary>
    /// <c>--base MASK --op add|subtract|intersect</c>: the selection editor's prompt step on a selection read from a
    /// file; the prompt's mask is the model's answer, as the editor in the hosts uses it.
    /// </summary>
    private static async Task<int> EditAsync(SelectOptions o, CommandIO io, CancellationToken ct)
    {
        if (o.Text is not null || o.Everything || o.Model.IsFastSam || o.SubjectGuide == true || o.AtOnce)
            throw new SegArgumentException("--base", "edits by --point/--box with a SAM model; --text, --everything, --fastsam, --subject-guide and --at-once do not apply");
        var prompts = ReadPrompts(o);
        if (prompts.IsEmpty) throw new SegArgumentException("prompt", "no --point or --box given; --base is edited by a prompt");
        string outMask = o.Out ?? throw new SegArgumentException("--out", "is required with --base (the edited selection)");
        var outputs = OutputPaths.Check([o.Image, o.Base!], ("--out", outMask), ("--cutout", o.Cutout), ("--logits", o.Logits), ("--low-res", o.LowRes));

        var img = ImageIO.Load(o.Image);
        var selection = MaskFiles.Load(o.Base!, "--base").ToMask();
        if (selection.Width != img.Width || selection.Height != img.Height)
            throw new SegArgumentException("--base", $"{o.Base} is {selection.Width}x{selection.Height}; the image {o.Image} is {img.Width}x{img.Height}");
        prompts.Validate(img.Width, img.Height);
        using var session = await o.Model.Sam.OpenSamAsync(io.Err, ct);
        var view = session.ForImage(img, ct);
        var editor = new SelectionEditor(view, selection);
        var prediction = editor.Prompt(o.Op!.Value, prompts);
        var mask = editor.Selection;

        outputs.CreateFolders();
        MaskPng.Save(mask, outMask);
        if (o.Cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), o.Cutout);
        if (o.Logits is not null) NpyFile.Save(prediction.Logits, o.Logits);
        if (o.LowRes is not null) NpyFile.Save(prediction.LowResLogits, o.LowRes);
        long before = selection.Area(), after = mask.Area();
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Image}: {o.Op.Value.ToString().ToLowerInvariant()} {o.Base} ({before} px) -> {after} px ({100.0 * after / img.PixelCount:0.0}%), prompt mask {prediction.Mask.Area()} px -> {outMask}"));
        return 0;
    }

    internal static PromptSet ReadPrompts(SelectOptions o)
    {
        LogitMap? maskIn = null;
        if (o.MaskIn is { } m)
        {
            maskIn = NpyFile.Load(m);
            if (maskIn.Width != 256 || maskIn.Height != 256)
                throw new SegArgumentException("--mask-in", $"{m} is {maskIn.Height}x{maskIn.Width}; expected the 256x256 low-res logits written by --low-res");
        }
        return new PromptSet { Points = o.Points, Box = o.Box, MaskInput = maskIn };
    }
}

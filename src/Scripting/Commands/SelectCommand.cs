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
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug select</c>: one prediction from points and/or a box, written as mask PNG and .npy logits.</summary>
public static class SelectCommand
{
    public const string Usage = """
        segplug select --image IMG [--model ID | --encoder E.onnx --decoder D.onnx] [--device auto|cpu|dml|cuda]
                       [--point X,Y[,1|0]]... [--box X0,Y0,X1,Y1] [--mask-in PREV_LOW.npy]
                       [--out MASK.png] [--cutout CUT.png] [--logits LOGITS.npy] [--low-res LOW.npy] [--subject-guide] [--at-once]
                       [--colors on|off]
          Points and boxes are in source pixels; a point's third value is 1 (include, default) or 0 (exclude).
          Several points are read as clicks in the order given, each refining the answer to the ones before
          (--at-once sends them in one prediction instead, which needs more clicks for the same result).
          --mask-in takes a low-res .npy written earlier with --low-res, to refine step by step.
          --subject-guide reads the first click as "this object" with the u2netp subject model (see README).
          --colors (on by default) refines the model's answer with the image's colours, the clicks and the box
          (and the subject model's map with --subject-guide); --logits stays the model's own answer.
        """;

    private static readonly HashSet<string> Flags = new() { "--multimask", "--subject-guide", "--at-once" };

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, Flags);
        string image = args.Require("--image", "the photo to select in");
        var model = ModelArgs.Read(args);
        if (args.Flag("--at-once") && args.Get("--mask-in") is not null)
            throw new SegArgumentException("--at-once", "and --mask-in both say how to read the points; --mask-in already makes one prediction");
        var prompts = ReadPrompts(args);
        string? outMask = args.Get("--out");
        string? cutout = args.Get("--cutout");
        string? logits = args.Get("--logits");
        string? lowRes = args.Get("--low-res");
        bool guide = args.Flag("--subject-guide");
        bool atOnce = args.Flag("--at-once");
        bool colors = args.Get("--colors")?.Trim().ToLowerInvariant() switch
        {
            null or "on" => true,
            "off" => false,
            var other => throw new SegArgumentException("--colors", $"'{other}' is not on or off"),
        };
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");
        if (prompts.IsEmpty)
            throw new SegArgumentException("prompt", "no --point or --box given; add at least one");
        if (guide && (prompts.Points.Count == 0 || !prompts.Points[0].Positive || prompts.Box is not null || prompts.MaskInput is not null || atOnce))
            throw new SegArgumentException("--subject-guide", "reads the first click: give an including --point first, without --box, --mask-in or --at-once");
        outMask ??= Path.ChangeExtension(Path.GetFileName(image), null) + "-mask.png";
        foreach (var o in new[] { outMask, cutout, logits, lowRes })
            if (o is not null && SamePath(o, image))
                throw new SegArgumentException("output", $"{o} is the input image; outputs never overwrite an input");

        var img = ImageIO.Load(image);
        prompts.Validate(img.Width, img.Height);
        using var session = await model.OpenSamAsync(stderr, ct);
        var sw = Stopwatch.StartNew();
        session.SetImage(img, ct);
        double encMs = sw.Elapsed.TotalMilliseconds;
        Mask mask;
        LogitMap low;
        Func<LogitMap> full;
        float score;
        string note = "";
        LogitMap? saliency = null;
        if (guide)
        {
            using var subject = await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct);
            sw.Restart();
            saliency = subject.Saliency(img, ct);
            note = string.Create(CultureInfo.InvariantCulture, $", subject model {sw.Elapsed.TotalMilliseconds:0} ms");
        }
        sw.Restart();
        if (atOnce || prompts.MaskInput is not null)
        {
            var prediction = session.Predict(prompts, null, ct);
            (mask, low, full, score) = (prediction.Mask, prediction.LowResLogits, () => prediction.Logits, prediction.Score);
            if (colors)
            {
                var prior = ColorRefiner.PriorFor(prediction, prompts);
                mask = ColorRefiner.Refine(img, prediction.UpscaleLogits(prior), new ColorRefineInput { Clicks = prompts.Points, Box = prompts.Box }, null, ct);
                low = Core.Segmentation.MaskFeedback.FromSelection(mask, prior.LowResLogits);
            }
        }
        else
        {
            var chain = new ClickChain(session, saliency, null, colors ? new ColorFusion(img) : null);
            var r = chain.Predict(prompts.Points, prompts.Box, ct);
            (mask, low, full, score) = (r.Mask, r.LowResLogits, () => r.Logits, r.Proposal.Score);
            if (guide)
                note += r.SubjectBox is { } b && prompts.Points.Count == 1
                    ? string.Create(CultureInfo.InvariantCulture, $", guided by the subject (box {b.X0:0},{b.Y0:0},{b.X1:0},{b.Y1:0})")
                    : prompts.Points.Count == 1 ? ", subject guide kept the plain click" : "";
            if (prompts.Points.Count > 1) note += $", {prompts.Points.Count} clicks in order";
        }
        if (colors) note += ", refined with colours";
        double decMs = sw.Elapsed.TotalMilliseconds;

        foreach (var o in new[] { outMask, cutout, logits, lowRes })
            if (o is not null && Path.GetDirectoryName(Path.GetFullPath(o)) is { } dir) Directory.CreateDirectory(dir);
        ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
        if (cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), cutout);
        if (logits is not null) NpyFile.Save(full(), logits);
        if (lowRes is not null) NpyFile.Save(low, lowRes);

        var area = mask.Area();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{image}: {img.Width}x{img.Height}, mask {area} px ({100.0 * area / img.PixelCount:0.0}%), score {score:0.000}, encoder {encMs:0} ms, click {decMs:0} ms{note} -> {outMask}{(cutout is null ? "" : ", " + cutout)}"));
        return 0;
    }

    internal static PromptSet ReadPrompts(ArgReader args)
    {
        var points = new List<PointPrompt>();
        foreach (var p in args.GetAll("--point"))
        {
            var v = ArgReader.ParseFloats(p, "--point", 2, 3);
            bool positive = true;
            if (v.Length == 3)
            {
                if (v[2] is not (0f or 1f)) throw new SegArgumentException("--point", $"'{p}': the third value must be 1 (include) or 0 (exclude)");
                positive = v[2] == 1f;
            }
            points.Add(new PointPrompt(v[0], v[1], positive));
        }
        BoxXyxy? box = null;
        if (args.Get("--box") is { } b)
        {
            var v = ArgReader.ParseFloats(b, "--box", 4, 4);
            box = new BoxXyxy(v[0], v[1], v[2], v[3]);
        }
        Core.Masks.LogitMap? maskIn = null;
        if (args.Get("--mask-in") is { } m)
        {
            maskIn = NpyFile.Load(m);
            if (maskIn.Width != 256 || maskIn.Height != 256)
                throw new SegArgumentException("--mask-in", $"{m} is {maskIn.Height}x{maskIn.Width}; expected the 256x256 low-res logits written by --low-res");
        }
        return new PromptSet { Points = points, Box = box, MaskInput = maskIn };
    }

    internal static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}

using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.IO;
using SegPlugins.Core.Masks;
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
                       [--out MASK.png] [--cutout CUT.png] [--logits LOGITS.npy] [--low-res LOW.npy] [--subject-guide]
          Points and boxes are in source pixels; a point's third value is 1 (include, default) or 0 (exclude).
          --mask-in takes a low-res .npy written earlier with --low-res, to refine step by step.
          --subject-guide reads a single click as "this object" with the u2netp subject model (see README).
        """;

    private static readonly HashSet<string> Flags = new() { "--multimask", "--subject-guide" };

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, Flags);
        string image = args.Require("--image", "the photo to select in");
        var model = ModelArgs.Read(args);
        var prompts = ReadPrompts(args);
        string? outMask = args.Get("--out");
        string? cutout = args.Get("--cutout");
        string? logits = args.Get("--logits");
        string? lowRes = args.Get("--low-res");
        bool guide = args.Flag("--subject-guide");
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");
        if (prompts.IsEmpty)
            throw new SegArgumentException("prompt", "no --point or --box given; add at least one");
        if (guide && (prompts.Points.Count != 1 || !prompts.Points[0].Positive || prompts.Box is not null || prompts.MaskInput is not null))
            throw new SegArgumentException("--subject-guide", "reads one first click: give exactly one including --point, without --box or --mask-in");
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
        if (guide)
        {
            using var subject = await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct);
            sw.Restart();
            var saliency = subject.Saliency(img, ct);
            double subjectMs = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            var r = SubjectGuidance.FirstClick(session, prompts.Points[0], saliency, null, ct);
            (mask, low, full, score) = (r.Mask, r.LowResLogits, () => r.Logits, r.Proposal.Score);
            note = string.Create(CultureInfo.InvariantCulture, $", subject model {subjectMs:0} ms, ") +
                (r.Box is { } b ? string.Create(CultureInfo.InvariantCulture, $"guided by the subject (box {b.X0:0},{b.Y0:0},{b.X1:0},{b.Y1:0})") : "subject guide kept the plain click");
        }
        else
        {
            sw.Restart();
            var prediction = session.Predict(prompts, null, ct);
            (mask, low, full, score) = (prediction.Mask, prediction.LowResLogits, () => prediction.Logits, prediction.Score);
        }
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

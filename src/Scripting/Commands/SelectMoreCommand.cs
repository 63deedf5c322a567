using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// The parts of <c>segplug select</c> beyond SAM clicks: FastSAM models (<c>--fastsam</c>, <c>--model fastsam-…</c>),
/// text prompts (<c>--text</c>, FastSAM with CLIP) and <c>--everything</c> (the union of every mask).
/// </summary>
public static class SelectMoreCommand
{
    public const string Usage = """
          FastSAM: --fastsam F.onnx or --model fastsam-s|fastsam-x; then --text "a red cup" (needs CLIP: --clip-text T.onnx
          --clip-image I.onnx [--clip-vocab V], or the clip-vit-b32 model in the cache) and --everything (all masks).
          SAM models take --everything too (automatic masks; see 'segplug everything'), but not --text.
        """;

    /// <summary>True when the arguments need this command rather than the SAM click path.</summary>
    public static bool Handles(string[] argv) =>
        argv.Any(a => a is "--text" or "--everything" or "--fastsam" || a.StartsWith("--text=", StringComparison.Ordinal) || a.StartsWith("--fastsam=", StringComparison.Ordinal))
        || ModelIdOf(argv) is { } id && Core.Inference.ModelManifest.Embedded.Models.Any(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase) && m.Family == Core.Inference.ModelFamily.FastSam);

    private static string? ModelIdOf(string[] argv)
    {
        for (int i = 0; i < argv.Length; i++)
        {
            if (argv[i] == "--model" && i + 1 < argv.Length) return argv[i + 1];
            if (argv[i].StartsWith("--model=", StringComparison.Ordinal)) return argv[i]["--model=".Length..];
        }
        return null;
    }

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string> { "--everything" });
        string image = args.Require("--image", "the photo to select in");
        var model = SegmenterArgs.Read(args);
        string? text = args.Get("--text");
        bool everything = args.Flag("--everything");
        var prompts = SelectCommand.ReadPrompts(args);
        string? outMask = args.Get("--out");
        string? cutout = args.Get("--cutout");
        int pointsPerSide = args.GetInt("--points-per-side", 0, 1, 128);
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");
        int modes = (text is not null ? 1 : 0) + (everything ? 1 : 0) + (prompts.IsEmpty ? 0 : 1);
        if (modes == 0) throw new SegArgumentException("prompt", "no --point, --box, --text or --everything given; add one");
        if (modes > 1) throw new SegArgumentException("prompt", "give one of --point/--box, --text or --everything");
        if (text is not null && string.IsNullOrWhiteSpace(text)) throw new SegArgumentException("--text", "is empty; describe the object, e.g. --text \"a red cup\"");
        if (!model.IsFastSam && text is not null)
            throw new SegArgumentException("--text", $"model {model.DisplayName} is a SAM-family model: it takes points and boxes, not text. Text prompts need FastSAM with CLIP: --model fastsam-s (or --fastsam FILE.onnx) with --clip-text and --clip-image");
        if (model.IsFastSam && prompts.MaskInput is not null)
            throw new SegArgumentException("--mask-in", "FastSAM chooses among detected masks and cannot refine a previous mask; use a SAM model for refinement");
        outMask ??= Path.ChangeExtension(Path.GetFileName(image), null) + "-mask.png";
        foreach (var o in new[] { outMask, cutout })
            if (o is not null && SelectCommand.SamePath(o, image))
                throw new SegArgumentException("output", $"{o} is the input image; outputs never overwrite an input");

        var img = ImageIO.Load(image);
        prompts.Validate(img.Width, img.Height, requirePrompt: false);
        var sw = Stopwatch.StartNew();
        Mask mask;
        float score;
        string how;
        if (model.IsFastSam)
        {
            using var session = await model.OpenFastSamAsync(stderr, ct);
            session.SetImage(img, ct);
            if (text is not null)
            {
                using var clip = await model.OpenClipAsync(stderr, ct);
                var p = session.PredictText(clip, text, ct);
                (mask, score, how) = (p.Mask, p.Score, $"text \"{text}\", cosine");
            }
            else if (everything)
            {
                var r = EverythingResult.FromFastSam(session.Everything);
                (mask, score, how) = (r.Union(), r.Masks.Count, "everything, masks");
            }
            else
            {
                var p = session.Predict(prompts, null, ct);
                (mask, score, how) = (p.Mask, p.Score, "confidence");
            }
        }
        else
        {
            using var session = await model.Sam.OpenSamAsync(stderr, ct);
            var options = new EverythingOptions { PointsPerSide = pointsPerSide > 0 ? pointsPerSide : session.Device == Core.Inference.ExecutionDevice.Cpu ? EverythingOptions.Cpu.PointsPerSide : EverythingOptions.Default.PointsPerSide };
            var r = EverythingGenerator.Generate(session, img, options, null, ct);
            (mask, score, how) = (r.Union(), r.Masks.Count, "everything, masks");
        }
        double ms = sw.Elapsed.TotalMilliseconds;
        foreach (var o in new[] { outMask, cutout })
            if (o is not null && Path.GetDirectoryName(Path.GetFullPath(o)) is { } dir) Directory.CreateDirectory(dir);
        ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
        if (cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), cutout);
        var area = mask.Area();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{image}: {img.Width}x{img.Height}, {model.DisplayName}, mask {area} px ({100.0 * area / img.PixelCount:0.0}%), {how} {score:0.###}, {ms:0} ms -> {outMask}{(cutout is null ? "" : ", " + cutout)}"));
        return 0;
    }
}

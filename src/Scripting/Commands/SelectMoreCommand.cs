using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// The parts of <c>segplug select</c> beyond SAM clicks: FastSAM models (<c>--fastsam</c>, <c>--model fastsam-…</c>),
/// text prompts (<c>--text</c>, FastSAM with CLIP) and <c>--everything</c> (the union of every mask).
/// </summary>
public static class SelectMoreCommand
{
    public static async Task<int> RunAsync(SelectOptions o, CommandIO io, CancellationToken ct)
    {
        var stdout = io.Out;
        var stderr = io.Err;
        string image = o.Image;
        var model = o.Model;
        string? text = o.Text;
        bool everything = o.Everything;
        var prompts = SelectCommand.ReadPrompts(o);
        string? outMask = o.Out;
        string? cutout = o.Cutout;
        int pointsPerSide = o.PointsPerSide;
        if (o.Logits is not null || o.LowRes is not null || o.SubjectGuide == true || o.AtOnce)
            throw new SegArgumentException(o.Logits is not null ? "--logits" : o.LowRes is not null ? "--low-res" : o.SubjectGuide == true ? "--subject-guide" : "--at-once",
                "applies to SAM clicks; not with --text, --everything or FastSAM");
        int modes = (text is not null ? 1 : 0) + (everything ? 1 : 0) + (prompts.IsEmpty ? 0 : 1);
        if (modes == 0) throw new SegArgumentException("prompt", "no --point, --box, --text or --everything given; add one");
        if (modes > 1) throw new SegArgumentException("prompt", "give one of --point/--box, --text or --everything");
        if (text is not null && string.IsNullOrWhiteSpace(text)) throw new SegArgumentException("--text", "is empty; describe the object, e.g. --text \"a red cup\"");
        if (!model.IsFastSam && text is not null)
            throw new SegArgumentException("--text", $"model {model.DisplayName} is a SAM-family model: it takes points and boxes, not text. Text prompts need FastSAM with CLIP: --model fastsam-s (or --fastsam FILE.onnx) with --clip-text and --clip-image");
        if (model.IsFastSam && prompts.MaskInput is not null)
            throw new SegArgumentException("--mask-in", "FastSAM chooses among detected masks and cannot refine a previous mask; use a SAM model for refinement");
        outMask ??= Path.ChangeExtension(Path.GetFileName(image), null) + "-mask.png";
        var outputs = OutputPaths.Check([image], ("--out", outMask), ("--cutout", cutout));

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
        outputs.CreateFolders();
        ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
        if (cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), cutout);
        var area = mask.Area();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{image}: {img.Width}x{img.Height}, {model.DisplayName}, mask {area} px ({100.0 * area / img.PixelCount:0.0}%), {how} {score:0.###}, {ms:0} ms -> {outMask}{(cutout is null ? "" : ", " + cutout)}"));
        return 0;
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug subject</c>: select the main subject of a photo without prompts.</summary>
public static class SubjectCommand
{
    public sealed record Options(string? Image, string? Dataset, string? Mode, ModelArgs Model, string? Out, string? Cutout, int Limit);

    public static Command Create()
    {
        var image = CliOptions.InputFile("--image", "IMG", "the photo whose subject to select");
        var dataset = CliOptions.InputFile("--dataset", "DIR", "score every mode on a dataset (images/, gt/ with 255 object, 128 ignored) instead");
        var mode = new Option<string>("--mode")
        {
            Description = "saliency: the u2netp map; sam-box / sam-box-point: its box (and deepest point) as a SAM prompt; all (with --dataset)",
            HelpName = "saliency|sam-box|sam-box-point|all",
        };
        mode.AcceptOnlyFromAmong("saliency", "sam-box", "sam-box-point", "all");
        var model = new ModelOptions();
        var outMask = CliOptions.OutputFile("--out", "MASK.png", "the mask (default: IMG-subject.png in the current folder)");
        var cutout = CliOptions.OutputFile("--cutout", "CUT.png", "the photo with the subject's alpha");
        var limit = CliOptions.Int("--limit", "N", "score only the first N images of --dataset", int.MaxValue, 1, int.MaxValue);
        var command = new Command("subject", "Select the main subject of a photo without prompts (u2netp; the sam-* modes turn it into a SAM prompt).")
        {
            image, dataset, mode, outMask, cutout, limit,
        };
        model.AddTo(command);
        command.Validators.Add(r =>
        {
            bool hasImage = r.GetResult(image) is not null, hasDataset = r.GetResult(dataset) is not null;
            if (hasImage == hasDataset) r.AddError("--image: give either --image (select) or --dataset (score the modes)");
            if (hasImage && r.GetValue(mode) == "all") r.AddError("--mode: all applies to --dataset");
        });
        command.SetAction((p, ct) => RunAsync(new Options(p.GetValue(image), p.GetValue(dataset), p.GetValue(mode), model.Read(p),
            p.GetValue(outMask), p.GetValue(cutout), p.GetValue(limit)), CommandIO.Of(p), ct));
        return command;
    }

    public static SubjectMode ParseMode(string? text) => text switch
    {
        null or "saliency" => SubjectMode.Saliency,
        "sam-box" => SubjectMode.SamBox,
        "sam-box-point" => SubjectMode.SamBoxAndPoint,
        _ => throw new SegArgumentException("--mode", $"'{text}' is not a subject mode; expected saliency, sam-box or sam-box-point"),
    };

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        if (o.Dataset is { } dataset) return await ScoreAsync(dataset, o, stdout, stderr, ct);
        string image = o.Image!;
        var mode = ParseMode(o.Mode);
        var model = o.Model;
        string outMask = o.Out ?? Path.ChangeExtension(Path.GetFileName(image), null) + "-subject.png";
        string? cutout = o.Cutout;
        var outputs = OutputPaths.Check([image], ("--out", outMask), ("--cutout", cutout));

        var img = ImageIO.Load(image);
        var options = model.Options(stderr);
        using var selector = await SubjectSelector.OpenAsync(options, new ConsoleProgress(stderr), ct);
        using SamSession? sam = mode == SubjectMode.Saliency ? null : await model.OpenSamAsync(stderr, ct);
        var sw = Stopwatch.StartNew();
        var mask = selector.Select(img, mode, sam, ct);
        double ms = sw.Elapsed.TotalMilliseconds;
        outputs.CreateFolders();
        ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
        if (cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), cutout);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{image}: subject {mask.Area()} px ({100.0 * mask.Area() / img.PixelCount:0.0}%) in {ms:0} ms -> {outMask}"));
        return 0;
    }

    /// <summary>mIoU of each mode over a dataset in the evaluation layout; 128 in the ground truth is ignored.</summary>
    private static async Task<int> ScoreAsync(string dataset, Options o, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string modeText = o.Mode ?? "all";
        int limit = o.Limit;
        var model = o.Model;
        var modes = modeText == "all" ? Enum.GetValues<SubjectMode>() : [ParseMode(modeText)];
        var images = Directory.GetFiles(Path.Combine(dataset, "images")).Order(StringComparer.Ordinal).Take(limit).ToList();
        using var selector = await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct);
        using var sam = await model.OpenSamAsync(stderr, ct);
        var sums = new double[modes.Length];
        foreach (var path in images)
        {
            string stem = Path.GetFileNameWithoutExtension(path);
            string gtPath = new[] { ".bmp", ".png" }.Select(e => Path.Combine(dataset, "gt", stem + e)).FirstOrDefault(File.Exists)
                ?? throw new SegInputException(path, "has no ground truth in gt/");
            var img = ImageIO.Load(path);
            var gt = ImageIO.Load(gtPath);
            var line = new List<string> { stem };
            for (int m = 0; m < modes.Length; m++)
            {
                var mask = selector.Select(img, modes[m], sam, ct);
                long inter = 0, union = 0;
                for (int y = 0; y < img.Height; y++)
                {
                    var g = gt.Row(y);
                    var r = mask.Row(y);
                    for (int x = 0; x < img.Width; x++)
                    {
                        byte v = g[4 * x + 2];
                        if (v == 128) continue;
                        bool a = v > 128, b = r[x] != 0;
                        if (a && b) inter++;
                        if (a || b) union++;
                    }
                }
                double iou = union == 0 ? 1 : (double)inter / union;
                sums[m] += iou;
                line.Add(iou.ToString("0.000", CultureInfo.InvariantCulture));
            }
            stderr.WriteLine(string.Join(' ', line));
        }
        for (int m = 0; m < modes.Length; m++)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{modes[m],-16} mIoU {sums[m] / images.Count:0.000} over {images.Count} images"));
        return 0;
    }
}

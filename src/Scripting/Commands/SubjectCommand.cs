using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug subject</c>: select the main subject of a photo without prompts.</summary>
public static class SubjectCommand
{
    public const string Usage = """
        segplug subject --image IMG [--mode saliency|sam-box|sam-box-point] [--out MASK.png] [--cutout CUT.png]
        segplug subject --dataset DIR [--mode ...|all] [--limit N]
          Selects the salient subject (u2netp); the sam-* modes turn it into a SAM prompt for crisper edges.
          With --dataset (images/, gt/ with 255 object, 128 ignored) it prints the mIoU of each mode.
        """;

    public static SubjectMode ParseMode(string? text) => text switch
    {
        null or "saliency" => SubjectMode.Saliency,
        "sam-box" => SubjectMode.SamBox,
        "sam-box-point" => SubjectMode.SamBoxAndPoint,
        _ => throw new SegArgumentException("--mode", $"'{text}' is not a subject mode; expected saliency, sam-box or sam-box-point"),
    };

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string>());
        if (args.Get("--dataset") is { } dataset) return await ScoreAsync(dataset, args, stdout, stderr, ct);
        string image = args.Require("--image", "the photo whose subject to select");
        var mode = ParseMode(args.Get("--mode"));
        var model = ModelArgs.Read(args);
        string outMask = args.Get("--out") ?? Path.ChangeExtension(Path.GetFileName(image), null) + "-subject.png";
        string? cutout = args.Get("--cutout");
        args.RejectUnknown();
        foreach (var o in new[] { outMask, cutout })
            if (o is not null && SelectCommand.SamePath(o, image))
                throw new SegArgumentException("output", $"{o} is the input image; outputs never overwrite an input");

        var img = ImageIO.Load(image);
        var options = model.Options(stderr);
        using var selector = await SubjectSelector.OpenAsync(options, new ConsoleProgress(stderr), ct);
        using SamSession? sam = mode == SubjectMode.Saliency ? null : await model.OpenSamAsync(stderr, ct);
        var sw = Stopwatch.StartNew();
        var mask = selector.Select(img, mode, sam, ct);
        double ms = sw.Elapsed.TotalMilliseconds;
        foreach (var o in new[] { outMask, cutout })
            if (o is not null && Path.GetDirectoryName(Path.GetFullPath(o)) is { } dir) Directory.CreateDirectory(dir);
        ImageIO.SaveGrayPng(mask.Data, img.Width, img.Height, outMask);
        if (cutout is not null) ImageIO.SavePng(Compositor.CutOut(img, mask), cutout);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{image}: subject {mask.Area()} px ({100.0 * mask.Area() / img.PixelCount:0.0}%) in {ms:0} ms -> {outMask}"));
        return 0;
    }

    /// <summary>mIoU of each mode over a dataset in the evaluation layout; 128 in the ground truth is ignored.</summary>
    private static async Task<int> ScoreAsync(string dataset, ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        string modeText = args.Get("--mode") ?? "all";
        int limit = args.GetInt("--limit", int.MaxValue, 1);
        var model = ModelArgs.Read(args);
        args.RejectUnknown();
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

using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug everything</c>: every object mask of a photo, as separate PNGs, a label map and/or COCO RLE.</summary>
public static class EverythingCommand
{
    public const string Usage = """
        segplug everything --image IMG [--model ID | --encoder E --decoder D | --fastsam F.onnx] [--device ...]
                           [--points-per-side N] [--crop-layers N] [--min-region PX]
                           [--out-dir DIR] [--label-map LABELS.png] [--rle MASKS.json]
          SAM-family models prompt a grid of N x N points (default 32, 16 on the CPU); FastSAM returns all its detections.
          --out-dir writes mask-000.png... (largest first); --label-map 0 = none, i = mask i (8-bit, 16-bit above 255 masks);
          --rle writes COCO-style annotations with compressed RLE. Without any output option: IMG-labels.png.
        """;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string>());
        string image = args.Require("--image", "the photo to segment");
        var model = SegmenterArgs.Read(args);
        int pointsPerSide = args.GetInt("--points-per-side", 0, 1, 128);
        int cropLayers = args.GetInt("--crop-layers", 0, 0, 3);
        int minRegion = args.GetInt("--min-region", 0, 0, int.MaxValue);
        string? outDir = args.Get("--out-dir");
        string? labelMap = args.Get("--label-map");
        string? rle = args.Get("--rle");
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");
        if (model.IsFastSam && (pointsPerSide > 0 || cropLayers > 0))
            throw new SegArgumentException(pointsPerSide > 0 ? "--points-per-side" : "--crop-layers", "applies to SAM-family models; FastSAM finds all objects in one pass");
        if (outDir is null && labelMap is null && rle is null) labelMap = Path.ChangeExtension(Path.GetFileName(image), null) + "-labels.png";
        foreach (var o in new[] { labelMap, rle })
            if (o is not null && SelectCommand.SamePath(o, image))
                throw new SegArgumentException("output", $"{o} is the input image; outputs never overwrite an input");

        var img = ImageIO.Load(image);
        EverythingResult result;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        if (model.IsFastSam)
        {
            using var session = await model.OpenFastSamAsync(stderr, ct);
            result = EverythingResult.FromFastSam(session.Detect(img, ct), sw.Elapsed);
        }
        else
        {
            using var session = await model.Sam.OpenSamAsync(stderr, ct);
            var options = new EverythingOptions
            {
                PointsPerSide = pointsPerSide > 0 ? pointsPerSide : session.Device == ExecutionDevice.Cpu ? EverythingOptions.Cpu.PointsPerSide : EverythingOptions.Default.PointsPerSide,
                CropLayers = cropLayers,
                MinRegionArea = minRegion,
            };
            result = EverythingGenerator.Generate(session, img, options, null, ct);
        }

        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
            for (int i = 0; i < result.Masks.Count; i++)
            {
                string p = Path.Combine(outDir, $"mask-{i:000}.png");
                if (SelectCommand.SamePath(p, image)) throw new SegArgumentException("--out-dir", $"{p} is the input image; outputs never overwrite an input");
                ImageIO.SaveGrayPng(result.Masks[i].Mask.Data, img.Width, img.Height, p);
            }
        }
        foreach (var o in new[] { labelMap, rle })
            if (o is not null && Path.GetDirectoryName(Path.GetFullPath(o)) is { } dir) Directory.CreateDirectory(dir);
        if (labelMap is not null) result.SaveLabelMap(labelMap);
        if (rle is not null) result.SaveCocoJson(rle);
        double secs = sw.Elapsed.TotalSeconds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{image}: {img.Width}x{img.Height}, {model.DisplayName}, {result.Masks.Count} masks from {result.DecoderRuns} runs in {secs:0.00} s ({result.Masks.Count / Math.Max(secs, 1e-9):0.0} masks/s)"
            + $"{(outDir is null ? "" : " -> " + outDir)}{(labelMap is null ? "" : " -> " + labelMap)}{(rle is null ? "" : " -> " + rle)}"));
        return 0;
    }
}

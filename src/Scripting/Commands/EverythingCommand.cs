using System.CommandLine;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug everything</c>: every object mask of a photo, as separate PNGs, a label map and/or COCO RLE.</summary>
public static class EverythingCommand
{
    public sealed record Options(string Image, SegmenterArgs Model, int PointsPerSide, int CropLayers, int MinRegion, string? OutDir, string? LabelMap, string? Rle);

    public static Command Create()
    {
        var image = CliOptions.InputFile("--image", "IMG", "the photo to segment", required: true);
        var model = new SegmenterOptions();
        var pointsPerSide = CliOptions.Int("--points-per-side", "N", "SAM prompt grid of N x N points (default 32, 16 on the CPU)", 0, 1, 128);
        var cropLayers = CliOptions.Int("--crop-layers", "N", "extra layers of zoomed-in crops (SAM models)", 0, 0, 3);
        var minRegion = CliOptions.Int("--min-region", "PX", "drop regions and holes smaller than this", 0, 0, int.MaxValue);
        var outDir = CliOptions.OutputFile("--out-dir", "DIR", "write mask-000.png... (largest first)");
        var labelMap = CliOptions.OutputFile("--label-map", "LABELS.png", "0 = none, i = mask i (8-bit; 16-bit above 255 masks)");
        var rle = CliOptions.OutputFile("--rle", "MASKS.json", "COCO-style annotations with compressed RLE");
        var command = new Command("everything", """
            Every object mask of a photo, as separate PNGs, a label map and/or COCO RLE.
            SAM-family models prompt a grid of points; FastSAM returns all its detections. Without any output option: IMG-labels.png.
            """)
        { image, pointsPerSide, cropLayers, minRegion, outDir, labelMap, rle };
        model.AddTo(command, clip: false);
        command.SetAction((p, ct) => RunAsync(new Options(p.GetRequiredValue(image), model.Read(p), p.GetValue(pointsPerSide), p.GetValue(cropLayers),
            p.GetValue(minRegion), p.GetValue(outDir), p.GetValue(labelMap), p.GetValue(rle)), CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        var (image, model, pointsPerSide, cropLayers, minRegion, outDir, labelMap, rle) = o;
        if (model.IsFastSam && (pointsPerSide > 0 || cropLayers > 0))
            throw new SegArgumentException(pointsPerSide > 0 ? "--points-per-side" : "--crop-layers", "applies to SAM-family models; FastSAM finds all objects in one pass");
        if (outDir is null && labelMap is null && rle is null) labelMap = Path.ChangeExtension(Path.GetFileName(image), null) + "-labels.png";
        var outputs = OutputPaths.Check([image], ("--label-map", labelMap), ("--rle", rle));

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
                if (OutputPaths.SamePath(p, image)) throw new SegArgumentException("--out-dir", $"{p} is the input image; outputs never overwrite an input");
                ImageIO.SaveGrayPng(result.Masks[i].Mask.Data, img.Width, img.Height, p);
            }
        }
        outputs.CreateFolders();
        if (labelMap is not null) result.SaveLabelMap(labelMap);
        if (rle is not null) result.SaveCocoJson(rle);
        double secs = sw.Elapsed.TotalSeconds;
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{image}: {img.Width}x{img.Height}, {model.DisplayName}, {result.Masks.Count} masks from {result.DecoderRuns} runs in {secs:0.00} s ({result.Masks.Count / Math.Max(secs, 1e-9):0.0} masks/s)"
            + $"{(outDir is null ? "" : " -> " + outDir)}{(labelMap is null ? "" : " -> " + labelMap)}{(rle is null ? "" : " -> " + rle)}"));
        return 0;
    }
}

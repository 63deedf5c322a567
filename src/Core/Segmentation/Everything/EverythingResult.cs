using System.Globalization;
using System.Text;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;

namespace SegPlugins.Core.Segmentation.Everything;

/// <summary>One automatically found mask, at the source size.</summary>
/// <param name="Mask">The mask (source size).</param>
/// <param name="Box">Bounding box of the mask in source pixels.</param>
/// <param name="Area">Selected pixels.</param>
/// <param name="PredictedIou">The decoder's predicted IoU.</param>
/// <param name="StabilityScore">count(logit &gt; +1) / count(logit &gt; -1) on the low-res logits.</param>
/// <param name="Point">The grid point that prompted it, in source pixels.</param>
/// <param name="CropBox">The image crop it was found in.</param>
public sealed record EverythingMask(Mask Mask, PixelRect Box, long Area, float PredictedIou, float StabilityScore, PointPrompt Point, PixelRect CropBox);

/// <summary>Every mask found in one image, largest first.</summary>
public sealed class EverythingResult
{
    internal EverythingResult(int width, int height, IReadOnlyList<EverythingMask> masks, int decoderRuns, TimeSpan elapsed)
    {
        Width = width;
        Height = height;
        Masks = masks;
        DecoderRuns = decoderRuns;
        Elapsed = elapsed;
    }

    public int Width { get; }
    public int Height { get; }
    public IReadOnlyList<EverythingMask> Masks { get; }
    public int DecoderRuns { get; }
    public TimeSpan Elapsed { get; }

    /// <summary>
    /// One label per pixel: 0 for none, i + 1 for <see cref="Masks"/>[i]. Masks are painted largest first, so
    /// where masks overlap the smaller (usually a part of the larger) shows.
    /// </summary>
    public ushort[] ToLabelMap()
    {
        if (Masks.Count > ushort.MaxValue)
            throw new SegArgumentException("label map", $"{Masks.Count} masks do not fit 16-bit labels");
        var labels = new ushort[(long)Width * Height];
        for (int i = 0; i < Masks.Count; i++)
        {
            var d = Masks[i].Mask.Data;
            ushort l = (ushort)(i + 1);
            for (int p = 0; p < d.Length; p++) if (d[p] != 0) labels[p] = l;
        }
        return labels;
    }

    /// <summary>COCO-style annotations: segmentation (compressed RLE), area, bbox [x,y,w,h], predicted_iou, point_coords, stability_score, crop_box.</summary>
    public string ToCocoJson()
    {
        var sb = new StringBuilder("[\n");
        for (int i = 0; i < Masks.Count; i++)
        {
            var m = Masks[i];
            sb.Append(CultureInfo.InvariantCulture,
                $"  {{\"segmentation\": {CocoRle.ToJson(m.Mask)}, \"area\": {m.Area}, \"bbox\": [{m.Box.X}, {m.Box.Y}, {m.Box.Width}, {m.Box.Height}], " +
                $"\"predicted_iou\": {m.PredictedIou:R}, \"point_coords\": [[{m.Point.X:R}, {m.Point.Y:R}]], \"stability_score\": {Num(m.StabilityScore)}, " +
                $"\"crop_box\": [{m.CropBox.X}, {m.CropBox.Y}, {m.CropBox.Width}, {m.CropBox.Height}]}}");
            sb.Append(i + 1 < Masks.Count ? ",\n" : "\n");
        }
        return sb.Append("]\n").ToString();
    }

    /// <summary>
    /// Writes <see cref="ToLabelMap"/> as a greyscale PNG, atomically: 8-bit when there are at most 255 masks,
    /// else 16-bit.
    /// </summary>
    public void SaveLabelMap(string path)
    {
        var labels = ToLabelMap();
        Core.IO.AtomicFile.Write(path, stream =>
        {
            if (Masks.Count <= 255)
            {
                var bytes = new byte[labels.Length];
                for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)labels[i];
                using var img = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.L8>(bytes, Width, Height);
                img.Save(stream, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Grayscale, BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit8 });
            }
            else
            {
                var px = new SixLabors.ImageSharp.PixelFormats.L16[labels.Length];
                for (int i = 0; i < px.Length; i++) px[i] = new SixLabors.ImageSharp.PixelFormats.L16(labels[i]);
                using var img = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.L16>(px, Width, Height);
                img.Save(stream, new SixLabors.ImageSharp.Formats.Png.PngEncoder { ColorType = SixLabors.ImageSharp.Formats.Png.PngColorType.Grayscale, BitDepth = SixLabors.ImageSharp.Formats.Png.PngBitDepth.Bit16 });
            }
        });
    }

    /// <summary>The union of all masks.</summary>
    public Mask Union()
    {
        var u = new Mask(Width, Height);
        foreach (var m in Masks)
        {
            var d = m.Mask.Data;
            for (int i = 0; i < d.Length; i++) u.Data[i] |= d[i];
        }
        return u;
    }

    /// <summary>FastSAM's detections as an everything result (confidence as the score; no stability score: NaN).</summary>
    public static EverythingResult FromFastSam(FastSam.FastSamResult result, TimeSpan elapsed = default)
    {
        var full = new PixelRect(0, 0, result.Width, result.Height);
        var list = new List<EverythingMask>();
        foreach (var d in result.Detections)
            if (d.Mask.BoundingBox() is { } box)
                list.Add(new EverythingMask(d.Mask, box, d.Area, d.Confidence, float.NaN, new PointPrompt((d.Box.X0 + d.Box.X1) / 2, (d.Box.Y0 + d.Box.Y1) / 2), full));
        list.Sort((a, b) => b.Area.CompareTo(a.Area));
        return new EverythingResult(result.Width, result.Height, list, 1, elapsed);
    }

    private static string Num(float v) => float.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";

    /// <summary>Writes <see cref="ToCocoJson"/> atomically.</summary>
    public void SaveCocoJson(string path) => Core.IO.AtomicFile.WriteAllText(path, ToCocoJson());
}

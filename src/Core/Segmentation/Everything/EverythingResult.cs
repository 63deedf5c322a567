using System.Globalization;
using System.Text;
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
                $"\"predicted_iou\": {m.PredictedIou:R}, \"point_coords\": [[{m.Point.X:R}, {m.Point.Y:R}]], \"stability_score\": {m.StabilityScore:R}, " +
                $"\"crop_box\": [{m.CropBox.X}, {m.CropBox.Y}, {m.CropBox.Width}, {m.CropBox.Height}]}}");
            sb.Append(i + 1 < Masks.Count ? ",\n" : "\n");
        }
        return sb.Append("]\n").ToString();
    }

    /// <summary>Writes <see cref="ToCocoJson"/> atomically.</summary>
    public void SaveCocoJson(string path) => AtomicFile.WriteText(path, ToCocoJson());
}

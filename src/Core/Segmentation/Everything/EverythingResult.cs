using System.Text;
using System.Text.Json;
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

    /// <summary>
    /// COCO-style annotations: segmentation (compressed RLE), area, bbox [x,y,w,h], predicted_iou, point_coords,
    /// stability_score, crop_box. Numbers are written invariantly (shortest round-trip form); a score that is not a
    /// finite number (FastSAM has no stability score) is written as null.
    /// </summary>
    public string ToCocoJson()
    {
        using var ms = new MemoryStream();
        WriteCocoJson(ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private void WriteCocoJson(Stream stream)
    {
        using var wr = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        wr.WriteStartArray();
        foreach (var m in Masks)
        {
            wr.WriteStartObject();
            wr.WritePropertyName("segmentation");
            CocoRle.Write(wr, m.Mask);
            wr.WriteNumber("area", m.Area);
            WriteRect(wr, "bbox", m.Box);
            WriteScore(wr, "predicted_iou", m.PredictedIou);
            wr.WriteStartArray("point_coords");
            wr.WriteStartArray(); wr.WriteNumberValue(m.Point.X); wr.WriteNumberValue(m.Point.Y); wr.WriteEndArray();
            wr.WriteEndArray();
            WriteScore(wr, "stability_score", m.StabilityScore);
            WriteRect(wr, "crop_box", m.CropBox);
            wr.WriteEndObject();
        }
        wr.WriteEndArray();
        wr.Flush();
        stream.WriteByte((byte)'\n');
    }

    private static void WriteRect(Utf8JsonWriter wr, string name, PixelRect r)
    {
        wr.WriteStartArray(name);
        wr.WriteNumberValue(r.X); wr.WriteNumberValue(r.Y); wr.WriteNumberValue(r.Width); wr.WriteNumberValue(r.Height);
        wr.WriteEndArray();
    }

    private static void WriteScore(Utf8JsonWriter wr, string name, float v)
    {
        if (float.IsFinite(v)) wr.WriteNumber(name, v);
        else wr.WriteNull(name);
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

    /// <summary>Writes <see cref="ToCocoJson"/> atomically.</summary>
    public void SaveCocoJson(string path) => Core.IO.AtomicFile.Write(path, WriteCocoJson);
}

using SegPlugins.Core;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// Mask files on the command line, chosen by extension: <c>.png</c> (8-bit grey, or the alpha of an RGBA PNG; soft
/// values kept), <c>.json</c> (COCO RLE, or the polygon JSON Core writes), <c>.svg</c> (polygon path, written only) and
/// <c>.npy</c> (logits, read as their sigmoid).
/// </summary>
public static class MaskFiles
{
    public static SoftMask Load(string path, string option)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png":
                return MaskPng.LoadSoftMask(path);
            case ".json":
                return MaskJsonFile.Load(path).ToSoftMask();
            case ".npy":
                return NpyFile.Load(path).ToSoftMask();
            default:
                throw new SegArgumentException(option, $"{path}: expected a mask as .png (8-bit), .json (COCO RLE or polygons) or .npy (logits)");
        }
    }

    /// <summary>Writes a mask; <c>.png</c> keeps soft values, <c>.json</c> (COCO RLE) and <c>.svg</c> (polygons) need a hard one.</summary>
    public static void Save(SoftMask mask, string path, string option)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".png":
                MaskPng.Save(mask, path);
                break;
            case ".json":
                CocoRle.Save(HardOrThrow(mask, path, option), path);
                break;
            case ".svg":
                MaskPolygons.SaveSvg(MaskPolygons.Trace(HardOrThrow(mask, path, option)), path);
                break;
            default:
                throw new SegArgumentException(option, $"{path}: expected .png (8-bit), .json (COCO RLE) or .svg (polygons)");
        }
    }

    /// <summary>Checks an output name's extension before any work.</summary>
    public static void CheckOutputName(string path, string option)
    {
        if (Path.GetExtension(path).ToLowerInvariant() is not (".png" or ".json" or ".svg"))
            throw new SegArgumentException(option, $"{path}: expected .png (8-bit), .json (COCO RLE) or .svg (polygons)");
    }

    private static Mask HardOrThrow(SoftMask mask, string path, string option)
    {
        foreach (byte b in mask.Data)
            if (b is not (0 or 255))
                throw new SegArgumentException(option, $"{path}: a soft (feathered) mask has no exact RLE or polygon form; write it as .png");
        return mask.ToMask();
    }
}

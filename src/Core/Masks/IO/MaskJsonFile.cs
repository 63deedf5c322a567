namespace SegPlugins.Core.Masks.IO;

/// <summary>A mask stored as JSON: COCO RLE (an object with <c>counts</c>) or the polygon JSON that <see cref="MaskPolygons"/> writes.</summary>
public static class MaskJsonFile
{
    /// <summary>Reads either format, with the size bound of every text input checked before reading.</summary>
    /// <exception cref="SegInputException">The file is missing, too large, or neither format.</exception>
    public static Mask Load(string path, double maxMegapixels = MaskPng.DefaultMaxMegapixels)
    {
        string text = Core.IO.TextFile.Read(path);
        return text.Contains("\"counts\"", StringComparison.Ordinal)
            ? CocoRle.FromJson(text, path, maxMegapixels)
            : MaskPolygons.Rasterize(MaskPolygons.FromJson(text, path, maxMegapixels));
    }
}

// Exports the main subject's mask as a greyscale PNG and as COCO run-length JSON, for training sets and tools
// that read COCO annotations.
//
//   segplug run recipes/export-masks.csx dataset/images --out dataset/masks
//
// Arguments (checked before the first image):
// @arg box: box?  select the object in this box instead of the main subject
// @arg compressed: bool = true  false writes RLE counts as a number array instead of the compact string
//
// Output: {name}-mask.png and {name}.rle.json ({"size": [height, width], "counts": ...} plus the image name
// and predicted IoU).

MaskPrediction prediction;
if (Args.TryGetValue("box", out var b))
{
    var v = b.Split(',').Select(s => float.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var f) ? f : float.NaN).ToArray();
    if (v.Length != 4 || v.Any(float.IsNaN))
        throw new SegArgumentException("--arg box", $"expected x0,y0,x1,y1, got \"{b}\"");
    prediction = SelectBox(v[0], v[1], v[2], v[3]);
}
else
{
    prediction = SelectSubject();
}

Mask mask = prediction.Mask;
Save(mask, "{name}-mask.png");

using (var rle = JsonDocument.Parse(CocoRle.ToJson(mask, ArgBool("compressed", true))))
{
    var annotation = new Dictionary<string, object>
    {
        ["image"] = InputFileName,
        ["segmentation"] = rle.RootElement,
        ["area"] = mask.Area(),
        ["score"] = Math.Round(prediction.Score, 4),
    };
    SaveText(JsonSerializer.Serialize(annotation, new JsonSerializerOptions { WriteIndented = true }), "{name}.rle.json");
}

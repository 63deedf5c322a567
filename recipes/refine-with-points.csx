// Selects an object from a box, then refines it with extra clicks, both read per image from a sidecar file
// next to the image: photo.jpg -> photo.points.json
//
//   {
//     "box":    [x0, y0, x1, y1],                   // pixels, top-left and bottom-right (optional if --arg box)
//     "points": [[x, y, 1], [x, y, 0], ...]         // 1 = include, 0 = exclude (optional, at most 64)
//   }
//
//   segplug run recipes/refine-with-points.csx photos/ --out masks
//
// Arguments (checked before the first image):
// @arg box: box?  box for images whose sidecar has none
// @arg missing: choice(skip|fail) = fail  what to do with an image without a sidecar and without --arg box
//
// Output: {name}-mask.png and {name}-cutout.png. A sidecar that is too big, too deep or malformed fails that
// image with a message naming the sidecar and the field.

string sidecarName = InputName + ".points.json";
// The sidecar format, its limits (64 KB, 64 points, depth 4) and its messages live in PromptSidecar.
string? json = ReadSidecarText(".points.json", PromptSidecar.MaxBytes);
var sidecar = json is null ? null : PromptSidecar.Parse(json, sidecarName);

float[]? box = sidecar?.Box is { } sb ? [sb.X0, sb.Y0, sb.X1, sb.Y1] : null;
var points = new List<PointPrompt>(sidecar?.Points ?? []);

if (box is null && Args.ContainsKey("box"))
{
    var parts = Arg("box").Split(',');
    if (parts.Length != 4 || !parts.All(p => float.TryParse(p, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)))
        throw new SegArgumentException("--arg box", $"expected x0,y0,x1,y1, got \"{Arg("box")}\"");
    box = parts.Select(p => float.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}

string missing = Arg("missing", "fail");
if (missing is not ("fail" or "skip"))
    throw new SegArgumentException("--arg missing", $"expected skip or fail, got \"{missing}\"");

if (box is null && missing == "skip")
{
    Log($"no {sidecarName} and no --arg box; skipped");
}
else if (box is null)
{
    throw new SegInputException(sidecarName, "no box: add \"box\" to the sidecar file or pass --arg box=x0,y0,x1,y1");
}
else
{
    var prediction = SelectBox(box[0], box[1], box[2], box[3]);
    if (points.Count > 0) prediction = Refine(prediction, points.ToArray());
    Save(prediction.Mask, "{name}-mask.png");
    Save(Compositor.CutOut(Input, prediction.Mask), "{name}-cutout.png");
    Log($"box + {points.Count} point(s): {prediction.Mask.Area()} px, score {prediction.Score:0.00}");
}

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
// Arguments:
//   --arg box=x0,y0,x1,y1   box for images whose sidecar has none
//   --arg missing=skip|fail what to do with an image without a sidecar and without --arg box (default fail)
//
// Output: {name}-mask.png and {name}-cutout.png. A sidecar that is too big, too deep or malformed fails that
// image with a message naming the sidecar and the field.

const int MaxSidecarBytes = 64 * 1024; // prompt lists are tiny; a large file is a mistake
const int MaxDepth = 4;                // object > array > array > number
const int MaxPoints = 64;

string sidecarName = InputName + ".points.json";
string? json = ReadSidecarText(".points.json", MaxSidecarBytes);

float[]? box = null;
var points = new List<PointPrompt>();

if (json is not null)
{
    JsonDocument doc;
    try
    {
        doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Skip });
    }
    catch (JsonException e)
    {
        throw new SegInputException(sidecarName, $"not valid JSON (or nested deeper than {MaxDepth}): {e.Message}");
    }
    using (doc)
    {
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new SegInputException(sidecarName, "expected a JSON object with \"box\" and/or \"points\"");
        foreach (var prop in root.EnumerateObject())
            if (prop.Name is not ("box" or "points"))
                throw new SegInputException(sidecarName, $"unknown field \"{prop.Name}\"; expected \"box\" and/or \"points\"");
        if (root.TryGetProperty("box", out var b))
            box = Numbers(b, 4, "box", "[x0, y0, x1, y1]");
        if (root.TryGetProperty("points", out var ps))
        {
            if (ps.ValueKind != JsonValueKind.Array)
                throw new SegInputException(sidecarName, "points: expected an array of [x, y, 1 or 0]");
            int n = ps.GetArrayLength();
            if (n > MaxPoints)
                throw new SegInputException(sidecarName, $"points: {n} given, at most {MaxPoints} allowed");
            int i = 0;
            foreach (var p in ps.EnumerateArray())
            {
                var v = Numbers(p, 3, $"points[{i}]", "[x, y, 1 or 0]");
                if (v[2] is not (0 or 1))
                    throw new SegInputException(sidecarName, $"points[{i}]: label must be 1 (include) or 0 (exclude), got {v[2]}");
                points.Add(new PointPrompt(v[0], v[1], v[2] == 1));
                i++;
            }
        }
    }
}

float[] Numbers(JsonElement e, int count, string field, string shape)
{
    if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != count)
        throw new SegInputException(sidecarName, $"{field}: expected {shape}");
    var r = new float[count];
    int k = 0;
    foreach (var x in e.EnumerateArray())
    {
        if (x.ValueKind != JsonValueKind.Number || !x.TryGetSingle(out r[k]) || !float.IsFinite(r[k]))
            throw new SegInputException(sidecarName, $"{field}[{k}]: expected a finite number, got {x.GetRawText()}");
        k++;
    }
    return r;
}

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

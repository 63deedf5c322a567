using System.Text;
using System.Text.Json;
using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Segmentation;

/// <summary>
/// The prompts of one image read from a sidecar file next to it (<c>photo.jpg</c> -&gt; <c>photo.points.json</c>):
/// <c>{"box": [x0, y0, x1, y1], "points": [[x, y, 1], [x, y, 0], ...]}</c>, both optional. 1 marks an include click,
/// 0 an exclude click. Values are only checked for being finite numbers here; <see cref="PromptSet.Validate"/>
/// checks them against the image.
/// </summary>
public sealed record PromptSidecar(BoxXyxy? Box, IReadOnlyList<PointPrompt> Points)
{
    /// <summary>Prompt lists are tiny; a larger sidecar is a mistake and is refused unread.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>object &gt; array &gt; array &gt; number.</summary>
    public const int MaxDepth = 4;

    /// <summary>Most clicks one sidecar may hold.</summary>
    public const int MaxPoints = 64;

    /// <summary>The prompts as a <see cref="PromptSet"/> (box and points together).</summary>
    public PromptSet ToPromptSet() => new() { Box = Box, Points = Points };

    /// <summary>Parses sidecar JSON; <paramref name="name"/> (the sidecar's file name) starts every error message.</summary>
    public static PromptSidecar Parse(string json, string name)
    {
        ArgumentNullException.ThrowIfNull(json);
        int bytes = Encoding.UTF8.GetByteCount(json);
        if (bytes > MaxBytes)
            throw new SegInputException(name, $"is {bytes:N0} bytes; the limit is {MaxBytes}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new SegInputException(name, $"not valid JSON (or nested deeper than {MaxDepth}): {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SegInputException(name, "expected a JSON object with \"box\" and/or \"points\"");
            BoxXyxy? box = null;
            var points = new List<PointPrompt>();
            foreach (var prop in root.EnumerateObject())
                if (prop.Name is not ("box" or "points"))
                    throw new SegInputException(name, $"unknown field \"{prop.Name}\"; expected \"box\" and/or \"points\"");
            if (root.TryGetProperty("box", out var b))
            {
                var v = Numbers(b, 4, "box", "[x0, y0, x1, y1]", name);
                box = new BoxXyxy(v[0], v[1], v[2], v[3]);
            }
            if (root.TryGetProperty("points", out var ps))
            {
                if (ps.ValueKind != JsonValueKind.Array)
                    throw new SegInputException(name, "points: expected an array of [x, y, 1 or 0]");
                int n = ps.GetArrayLength();
                if (n > MaxPoints)
                    throw new SegInputException(name, $"points: {n} given, at most {MaxPoints} allowed");
                int i = 0;
                foreach (var p in ps.EnumerateArray())
                {
                    var v = Numbers(p, 3, $"points[{i}]", "[x, y, 1 or 0]", name);
                    if (v[2] is not (0 or 1))
                        throw new SegInputException(name, $"points[{i}]: label must be 1 (include) or 0 (exclude), got {v[2]}");
                    points.Add(new PointPrompt(v[0], v[1], v[2] == 1));
                    i++;
                }
            }
            return new PromptSidecar(box, points);
        }
    }

    private static float[] Numbers(JsonElement e, int count, string field, string shape, string name)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != count)
            throw new SegInputException(name, $"{field}: expected {shape}");
        var r = new float[count];
        int k = 0;
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetSingle(out r[k]) || !float.IsFinite(r[k]))
                throw new SegInputException(name, $"{field}[{k}]: expected a finite number, got {x.GetRawText()}");
            k++;
        }
        return r;
    }
}

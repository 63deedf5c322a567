using System.Globalization;
using System.Text.Json;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Scripting.Serve;

/// <summary>A request the client got wrong; <see cref="Status"/> is the HTTP status it is answered with.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>The body of <c>POST /api/images/{id}/select</c>: <c>{"points": [[x, y, 1|0], ...], "box": [x0, y0, x1, y1], "op": "replace"}</c>.</summary>
internal sealed record SelectRequest(IReadOnlyList<PointPrompt> Points, BoxXyxy? Box, SelectionMode Mode)
{
    public PromptSet Prompts => new() { Points = Points, Box = Box };

    public static SelectRequest Parse(JsonElement root, int maxPoints)
    {
        Expect(root, JsonValueKind.Object, "request body", "a JSON object with \"points\", \"box\" and/or \"op\"");
        var points = new List<PointPrompt>();
        BoxXyxy? box = null;
        var mode = SelectionMode.Replace;
        foreach (var prop in root.EnumerateObject())
        {
            switch (prop.Name)
            {
                case "points":
                    if (prop.Value.ValueKind == JsonValueKind.Null) break;
                    Expect(prop.Value, JsonValueKind.Array, "points", "an array of [x, y, 1 or 0]");
                    int n = prop.Value.GetArrayLength();
                    if (n > maxPoints) throw new ApiException(400, $"points: {n} given, at most {maxPoints} allowed");
                    int i = 0;
                    foreach (var p in prop.Value.EnumerateArray())
                    {
                        if (p.ValueKind != JsonValueKind.Array || p.GetArrayLength() is not (2 or 3))
                            throw new ApiException(400, $"points[{i}]: expected [x, y, 1 or 0], got {Short(p)}");
                        var v = Numbers(p, $"points[{i}]");
                        if (v.Length == 3 && v[2] is not (0 or 1))
                            throw new ApiException(400, $"points[{i}]: the label must be 1 (include) or 0 (exclude), got {v[2].ToString(CultureInfo.InvariantCulture)}");
                        points.Add(new PointPrompt(v[0], v[1], v.Length == 2 || v[2] == 1));
                        i++;
                    }
                    break;
                case "box":
                    if (prop.Value.ValueKind == JsonValueKind.Null) break;
                    if (prop.Value.ValueKind != JsonValueKind.Array || prop.Value.GetArrayLength() != 4)
                        throw new ApiException(400, $"box: expected [x0, y0, x1, y1] (top-left, bottom-right, in pixels), got {Short(prop.Value)}");
                    var b = Numbers(prop.Value, "box");
                    box = new BoxXyxy(b[0], b[1], b[2], b[3]);
                    break;
                case "op":
                    mode = ParseMode(prop.Value);
                    break;
                default:
                    throw new ApiException(400, $"unknown field \"{prop.Name}\"; expected \"points\", \"box\" and \"op\"");
            }
        }
        if (points.Count == 0 && box is null)
            throw new ApiException(400, "points and box: give at least one point [x, y, 1 or 0] or a box [x0, y0, x1, y1]");
        return new SelectRequest(points, box, mode);
    }

    internal static SelectionMode ParseMode(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Null) return SelectionMode.Replace;
        return e.ValueKind == JsonValueKind.String ? e.GetString() switch
        {
            "replace" => SelectionMode.Replace,
            "add" => SelectionMode.Add,
            "subtract" => SelectionMode.Subtract,
            "intersect" => SelectionMode.Intersect,
            var s => throw new ApiException(400, $"op: '{s}' is not replace, add, subtract or intersect"),
        } : throw new ApiException(400, $"op: expected \"replace\", \"add\", \"subtract\" or \"intersect\", got {Short(e)}");
    }

    internal static float[] Numbers(JsonElement array, string field)
    {
        var r = new float[array.GetArrayLength()];
        int k = 0;
        foreach (var x in array.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetDouble(out double d) || !double.IsFinite(d) || Math.Abs(d) > 1e9)
                throw new ApiException(400, $"{field}[{k}]: expected a finite number of pixels, got {Short(x)}");
            r[k++] = (float)d;
        }
        return r;
    }

    internal static void Expect(JsonElement e, JsonValueKind kind, string field, string what)
    {
        if (e.ValueKind != kind) throw new ApiException(400, $"{field}: expected {what}, got {Short(e)}");
    }

    internal static string Short(JsonElement e)
    {
        string s = e.GetRawText();
        return s.Length <= 40 ? s : s[..40] + "...";
    }
}

/// <summary>
/// How the selection is finished for output (not part of the editable history): grown (positive) or shrunk
/// (negative) by <see cref="Grow"/> px, feathered by <see cref="Feather"/> px, edges refined with the image's
/// colours (guided filter) when <see cref="Edges"/>, or given an alpha matte's soft edge (hair, fur) when
/// <see cref="Matte"/>, which replaces feathering and the guided filter.
/// </summary>
internal sealed record Finish(int Grow, float Feather, bool Edges, bool Matte = false)
{
    public const int MaxGrow = 256;
    public const float MaxFeather = 256;
    public static Finish None { get; } = new(0, 0, false);
    public bool IsNone => Grow == 0 && Feather == 0 && !Edges && !Matte;

    /// <summary>From query parameters <c>grow</c>, <c>feather</c>, <c>edges</c>.</summary>
    public static Finish FromQuery(Microsoft.AspNetCore.Http.IQueryCollection q)
    {
        int grow = 0; float feather = 0; bool edges = false, matte = false;
        if (q.TryGetValue("grow", out var g) && !int.TryParse(g.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out grow))
            throw new ApiException(400, $"grow: '{g}' is not a whole number of pixels");
        if (q.TryGetValue("feather", out var f) && (!float.TryParse(f.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out feather)))
            throw new ApiException(400, $"feather: '{f}' is not a number of pixels");
        if (q.TryGetValue("edges", out var e)) edges = ParseBool(e.ToString(), "edges");
        if (q.TryGetValue("matte", out var m)) matte = ParseBool(m.ToString(), "matte");
        return Checked(grow, feather, edges, matte);
    }

    /// <summary>From the fields <c>grow</c>, <c>feather</c>, <c>edges</c>, <c>matte</c> of a JSON object (others are left to the caller).</summary>
    public static Finish FromJson(JsonElement root)
    {
        int grow = 0; float feather = 0; bool edges = false, matte = false;
        if (root.TryGetProperty("grow", out var g) && (g.ValueKind != JsonValueKind.Number || !g.TryGetInt32(out grow)))
            throw new ApiException(400, $"grow: expected a whole number of pixels, got {SelectRequest.Short(g)}");
        if (root.TryGetProperty("feather", out var f))
        {
            if (f.ValueKind != JsonValueKind.Number || !f.TryGetDouble(out double d) || !double.IsFinite(d))
                throw new ApiException(400, $"feather: expected a number of pixels, got {SelectRequest.Short(f)}");
            feather = (float)d;
        }
        if (root.TryGetProperty("edges", out var e)) edges = JsonBool(e, "edges");
        if (root.TryGetProperty("matte", out var m)) matte = JsonBool(m, "matte");
        return Checked(grow, feather, edges, matte);
    }

    private static bool JsonBool(JsonElement e, string field) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ApiException(400, $"{field}: expected true or false, got {SelectRequest.Short(e)}"),
    };

    private static Finish Checked(int grow, float feather, bool edges, bool matte)
    {
        if (grow < -MaxGrow || grow > MaxGrow) throw new ApiException(400, $"grow: {grow} is outside -{MaxGrow}..{MaxGrow} pixels (negative shrinks)");
        if (!float.IsFinite(feather) || feather < 0 || feather > MaxFeather) throw new ApiException(400, $"feather: {feather.ToString(CultureInfo.InvariantCulture)} is outside 0..{MaxFeather} pixels");
        if (matte && (feather > 0 || edges))
            throw new ApiException(400, $"matte: the matte makes its own soft edge; send it with feather 0 and edges off (got {(feather > 0 ? "feather " + feather.ToString(CultureInfo.InvariantCulture) : "edges on")})");
        return new Finish(grow, feather, edges, matte);
    }

    internal static bool ParseBool(string s, string field) => s.Trim().ToLowerInvariant() switch
    {
        "1" or "true" or "on" => true,
        "0" or "false" or "off" or "" => false,
        _ => throw new ApiException(400, $"{field}: '{s}' is not true or false"),
    };
}

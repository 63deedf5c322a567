using System.Globalization;
using System.Text;
using System.Text.Json;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Masks.IO;

/// <summary>A polygon vertex in pixel-corner coordinates: (0,0) is the top-left corner of the top-left pixel.</summary>
public readonly record struct Vertex(double X, double Y);

/// <summary>One selected region: its outer boundary and the boundaries of its holes.</summary>
public sealed record Polygon(IReadOnlyList<Vertex> Outer, IReadOnlyList<IReadOnlyList<Vertex>> Holes);

/// <summary>The outline of a mask of <see cref="Width"/> x <see cref="Height"/> pixels.</summary>
public sealed record PolygonSet(int Width, int Height, IReadOnlyList<Polygon> Polygons);

/// <summary>
/// Mask outlines as polygons. <see cref="Trace"/> follows pixel edges, so an unsimplified outline rasterises back
/// to exactly the same mask under the even-odd rule with pixel-centre sampling (<see cref="Rasterize"/>).
/// Regions are 8-connected (corner-touching pixels share one outline) and holes 4-connected.
/// </summary>
public static class MaskPolygons
{
    /// <summary>
    /// Outer and inner rings of every region. Outer rings run clockwise on screen (y down), holes anticlockwise.
    /// With <paramref name="tolerance"/> &gt; 0 each ring is simplified by Douglas-Peucker (max deviation in px);
    /// rings that collapse below three vertices are dropped.
    /// </summary>
    public static PolygonSet Trace(Mask mask, double tolerance = 0)
    {
        if (!double.IsFinite(tolerance) || tolerance < 0)
            throw new SegArgumentException(nameof(tolerance), $"must be a finite number of pixels >= 0, got {tolerance}");
        var rings = ContourTracer.Trace(mask.Data, mask.Width, mask.Height);
        var labels = Components.Label(mask.Data, mask.Width, mask.Height, set: true, eightConnected: true);
        var outers = new List<Vertex>?[labels.Count];
        var holes = new List<IReadOnlyList<Vertex>>[labels.Count];
        foreach (var r in rings)
        {
            int l = labels.LabelAt(r.PixelX, r.PixelY);
            var pts = new double[r.Points.Length];
            for (int i = 0; i < pts.Length; i++) pts[i] = r.Points[i];
            if (tolerance > 0) pts = DouglasPeucker.SimplifyClosed(pts, tolerance);
            if (pts.Length < 6) continue;
            var verts = new List<Vertex>(pts.Length / 2);
            for (int i = 0; i < pts.Length; i += 2) verts.Add(new Vertex(pts[i], pts[i + 1]));
            if (r.TwiceArea > 0) outers[l] = verts;
            else (holes[l] ??= new List<IReadOnlyList<Vertex>>()).Add(verts);
        }
        var polys = new List<Polygon>();
        for (int l = 0; l < labels.Count; l++)
            if (outers[l] is { } o) polys.Add(new Polygon(o, (IReadOnlyList<IReadOnlyList<Vertex>>?)holes[l] ?? Array.Empty<IReadOnlyList<Vertex>>()));
        return new PolygonSet(mask.Width, mask.Height, polys);
    }

    /// <summary>Fills every ring with the even-odd rule, sampling at pixel centres.</summary>
    public static Mask Rasterize(PolygonSet set)
    {
        MaskChecks.Size(set.Width, set.Height, "polygon canvas");
        var rings = new List<double[]>();
        foreach (var p in set.Polygons)
        {
            rings.Add(Flatten(p.Outer));
            foreach (var h in p.Holes) rings.Add(Flatten(h));
        }
        return new Mask(set.Width, set.Height, PolygonRasterizer.Fill(rings, set.Width, set.Height));
    }

    private static double[] Flatten(IReadOnlyList<Vertex> ring)
    {
        var a = new double[ring.Count * 2];
        for (int i = 0; i < ring.Count; i++)
        {
            if (!double.IsFinite(ring[i].X) || !double.IsFinite(ring[i].Y))
                throw new SegArgumentException("polygon", $"vertex ({ring[i].X},{ring[i].Y}) is not finite");
            a[2 * i] = ring[i].X; a[2 * i + 1] = ring[i].Y;
        }
        return a;
    }

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>SVG path data, one <c>M x y L ... Z</c> subpath per ring; draw with fill-rule="evenodd".</summary>
    public static string ToSvgPath(PolygonSet set)
    {
        var sb = new StringBuilder();
        foreach (var p in set.Polygons)
        {
            AppendRing(sb, p.Outer);
            foreach (var h in p.Holes) AppendRing(sb, h);
        }
        return sb.ToString().TrimEnd();
    }

    private static void AppendRing(StringBuilder sb, IReadOnlyList<Vertex> ring)
    {
        for (int i = 0; i < ring.Count; i++)
            sb.Append(i == 0 ? "M" : "L").Append(Num(ring[i].X)).Append(' ').Append(Num(ring[i].Y)).Append(' ');
        sb.Append("Z ");
    }

    /// <summary>A standalone SVG document with the outline as one even-odd path.</summary>
    public static string ToSvg(PolygonSet set) =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{set.Width}\" height=\"{set.Height}\" viewBox=\"0 0 {set.Width} {set.Height}\">\n" +
        $"  <path fill=\"black\" fill-rule=\"evenodd\" d=\"{ToSvgPath(set)}\"/>\n</svg>\n";

    /// <summary>
    /// Reads path data made of absolute M, L, H, V and Z commands (as written by <see cref="ToSvgPath"/>). Every
    /// subpath becomes an outer ring of its own polygon; that is enough for even-odd rasterisation.
    /// </summary>
    public static PolygonSet ParseSvgPath(string pathData, int width, int height)
    {
        MaskChecks.Size(width, height, "polygon canvas");
        var polys = new List<Polygon>();
        List<Vertex>? ring = null;
        char cmd = ' ';
        int i = 0;
        double cx = 0, cy = 0;
        void Close() { if (ring is { Count: >= 3 }) polys.Add(new Polygon(ring, Array.Empty<IReadOnlyList<Vertex>>())); ring = null; }
        while (true)
        {
            while (i < pathData.Length && (char.IsWhiteSpace(pathData[i]) || pathData[i] == ',')) i++;
            if (i >= pathData.Length) break;
            char ch = pathData[i];
            if (char.IsLetter(ch))
            {
                if ("MLHVZmlhvz".IndexOf(ch) < 0 || char.IsLower(ch) && ch != 'z')
                    throw new SegArgumentException("SVG path", $"command '{ch}' at {i} is not supported; use absolute M, L, H, V, Z");
                i++;
                if (ch is 'Z' or 'z') { Close(); cmd = ' '; continue; }
                cmd = ch;
                if (cmd == 'M') { Close(); ring = new List<Vertex>(); }
            }
            if (cmd == ' ') throw new SegArgumentException("SVG path", $"number at {i} without a command");
            if (cmd is 'M' or 'L')
            {
                cx = ReadNumber(pathData, ref i); cy = ReadNumber(pathData, ref i);
            }
            else if (cmd == 'H') cx = ReadNumber(pathData, ref i);
            else cy = ReadNumber(pathData, ref i);
            (ring ??= new List<Vertex>()).Add(new Vertex(cx, cy));
            if (cmd == 'M') cmd = 'L';
        }
        Close();
        return new PolygonSet(width, height, polys);
    }

    private static double ReadNumber(string s, ref int i)
    {
        while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == ',')) i++;
        int start = i;
        while (i < s.Length && (char.IsDigit(s[i]) || s[i] is '.' or '-' or '+' or 'e' or 'E')) i++;
        if (!double.TryParse(s.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new SegArgumentException("SVG path", $"expected a number at {start}");
        return v;
    }

    /// <summary><c>{"width":W,"height":H,"polygons":[{"outer":[[x,y],...],"holes":[[[x,y],...],...]},...]}</c></summary>
    public static string ToJson(PolygonSet set)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteNumber("width", set.Width);
            w.WriteNumber("height", set.Height);
            w.WriteStartArray("polygons");
            foreach (var p in set.Polygons)
            {
                w.WriteStartObject();
                w.WritePropertyName("outer");
                WriteRing(w, p.Outer);
                w.WriteStartArray("holes");
                foreach (var h in p.Holes) WriteRing(w, h);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteRing(Utf8JsonWriter w, IReadOnlyList<Vertex> ring)
    {
        w.WriteStartArray();
        foreach (var v in ring) { w.WriteStartArray(); w.WriteNumberValue(v.X); w.WriteNumberValue(v.Y); w.WriteEndArray(); }
        w.WriteEndArray();
    }

    /// <summary>How deep a polygon document may nest; the format itself needs six levels (holes are rings of pairs).</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>
    /// Parses the JSON of <see cref="ToJson"/>. The canvas size is checked against <paramref name="maxMegapixels"/>
    /// before anything is allocated for it: a few bytes can declare a canvas far larger than memory.
    /// </summary>
    public static PolygonSet FromJson(string json, string source = "polygon JSON", double maxMegapixels = MaskPng.DefaultMaxMegapixels)
    {
        if (!(maxMegapixels > 0)) throw new SegArgumentException(nameof(maxMegapixels), $"must be positive, got {maxMegapixels}");
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("width", out var we) || we.ValueKind != JsonValueKind.Number || !we.TryGetInt32(out int width)
                || !root.TryGetProperty("height", out var he) || he.ValueKind != JsonValueKind.Number || !he.TryGetInt32(out int height)
                || !root.TryGetProperty("polygons", out var ps) || ps.ValueKind != JsonValueKind.Array)
                throw new SegInputException(source, "expected {\"width\":W,\"height\":H,\"polygons\":[{\"outer\":[[x,y],...],\"holes\":[...]}]}");
            MaskChecks.Size(width, height, "polygon canvas");
            if ((double)width * height > maxMegapixels * 1e6)
                throw new SegInputException(source, $"declares a {width}x{height} canvas = {(double)width * height / 1e6:0.#} MP, over the limit of {maxMegapixels} MP");
            var polys = new List<Polygon>();
            int pi = 0;
            foreach (var p in ps.EnumerateArray())
            {
                if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("outer", out var outer))
                    throw new SegInputException(source, $"polygons[{pi}] has no \"outer\" ring");
                var holes = new List<IReadOnlyList<Vertex>>();
                if (p.TryGetProperty("holes", out var hs))
                {
                    if (hs.ValueKind != JsonValueKind.Array) throw new SegInputException(source, $"polygons[{pi}].holes must be a list of rings");
                    int hi = 0;
                    foreach (var h in hs.EnumerateArray()) holes.Add(ReadRing(h, source, $"polygons[{pi}].holes[{hi++}]"));
                }
                polys.Add(new Polygon(ReadRing(outer, source, $"polygons[{pi}].outer"), holes));
                pi++;
            }
            return new PolygonSet(width, height, polys);
        }
        catch (JsonException e) { throw new SegInputException(source, $"not valid JSON or nested deeper than {MaxJsonDepth} levels: {e.Message}", e); }
        catch (SegArgumentException e) { throw new SegInputException(source, e.Message, e); }
    }

    private static List<Vertex> ReadRing(JsonElement e, string source, string where)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new SegInputException(source, $"{where} must be a list of [x,y] pairs");
        var r = new List<Vertex>();
        int i = 0;
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2 || v[0].ValueKind != JsonValueKind.Number || v[1].ValueKind != JsonValueKind.Number
                || !v[0].TryGetDouble(out double x) || !v[1].TryGetDouble(out double y))
                throw new SegInputException(source, $"{where}[{i}] must be an [x,y] pair of numbers");
            // JSON numbers beyond the double range read as infinities.
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                string raw = (double.IsFinite(x) ? v[1] : v[0]).GetRawText();
                if (raw.Length > 24) raw = raw[..20] + "...";
                throw new SegInputException(source, $"{where}[{i}] has the coordinate {raw}, beyond the range of a double; coordinates are pixels");
            }
            r.Add(new Vertex(x, y));
            i++;
        }
        return r;
    }

    public static void SaveJson(PolygonSet set, string path) => Core.IO.AtomicFile.WriteAllText(path, ToJson(set));
    public static void SaveSvg(PolygonSet set, string path) => Core.IO.AtomicFile.WriteAllText(path, ToSvg(set));

    /// <summary>Loads a polygon JSON file and rasterises it.</summary>
    public static Mask LoadJson(string path) => Rasterize(FromJson(Core.IO.TextFile.Read(path), path));
}

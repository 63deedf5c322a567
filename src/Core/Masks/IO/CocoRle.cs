using System.Text;
using System.Text.Json;

namespace SegPlugins.Core.Masks.IO;

/// <summary>
/// COCO run-length encoding of hard masks: <c>{"size":[height,width],"counts":...}</c>. Runs walk the mask in
/// column-major order (down each column, columns left to right), alternate unselected/selected and start with an
/// unselected run (0 when the first pixel is selected). <c>counts</c> is either the list of run lengths or COCO's
/// compressed string: each run (minus the run two before it, from the fourth run on) as little-endian 5-bit groups,
/// bit 0x20 marking a following group, bit 0x10 of the last group the sign, each group offset by 48 into ASCII.
/// </summary>
public static class CocoRle
{
    /// <summary>Run lengths in COCO order.</summary>
    public static uint[] Encode(Mask mask)
    {
        int w = mask.Width, h = mask.Height;
        var d = mask.Data;
        var counts = new List<uint>();
        bool current = false;
        uint run = 0;
        for (int x = 0; x < w; x++)
            for (int y = 0; y < h; y++)
            {
                bool v = d[y * w + x] != 0;
                if (v != current) { counts.Add(run); run = 0; current = v; }
                run++;
            }
        counts.Add(run);
        return counts.ToArray();
    }

    public static Mask Decode(int height, int width, IReadOnlyList<uint> counts)
    {
        MaskChecks.Size(width, height, "RLE size");
        long total = 0;
        foreach (uint c in counts) total += c;
        if (total != (long)width * height)
            throw new SegArgumentException("RLE counts", $"sum to {total} pixels, but size {height}x{width} (h x w) has {(long)width * height}");
        var m = new Mask(width, height);
        var d = m.Data;
        long pos = 0;
        bool on = false;
        foreach (uint c in counts)
        {
            if (on)
                for (long i = pos; i < pos + c; i++) d[(int)(i % height) * width + (int)(i / height)] = Mask.On;
            pos += c;
            on = !on;
        }
        return m;
    }

    public static string CompressCounts(IReadOnlyList<uint> counts)
    {
        var sb = new StringBuilder(counts.Count * 2);
        for (int i = 0; i < counts.Count; i++)
        {
            long x = counts[i];
            if (i > 2) x -= counts[i - 2];
            bool more = true;
            while (more)
            {
                long c = x & 0x1f;
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) c |= 0x20;
                sb.Append((char)(c + 48));
            }
        }
        return sb.ToString();
    }

    public static uint[] DecompressCounts(string s)
    {
        var counts = new List<uint>();
        int p = 0;
        while (p < s.Length)
        {
            long x = 0;
            int k = 0;
            bool more = true;
            while (more)
            {
                if (p >= s.Length) throw new SegArgumentException("RLE counts", "compressed string ends in the middle of a run");
                int c = s[p] - 48;
                if (c < 0 || c > 63) throw new SegArgumentException("RLE counts", $"character '{s[p]}' at {p} is not a COCO RLE digit ('0'..'o')");
                if (k > 12) throw new SegArgumentException("RLE counts", $"run at {p} is longer than 13 digits");
                x |= (long)(c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++; k++;
                if (!more && (c & 0x10) != 0) x |= -1L << (5 * k);
            }
            if (counts.Count > 2) x += counts[counts.Count - 2];
            if (x < 0 || x > uint.MaxValue) throw new SegArgumentException("RLE counts", $"run {counts.Count} decodes to {x}, outside 0..{uint.MaxValue}");
            counts.Add((uint)x);
        }
        return counts.ToArray();
    }

    public static string ToJson(Mask mask, bool compressed = true)
    {
        using var ms = new MemoryStream();
        using (var wr = new Utf8JsonWriter(ms)) Write(wr, mask, compressed);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Writes the RLE object of <paramref name="mask"/> as the next value of <paramref name="wr"/>.</summary>
    internal static void Write(Utf8JsonWriter wr, Mask mask, bool compressed = true)
    {
        var counts = Encode(mask);
        {
            wr.WriteStartObject();
            wr.WriteStartArray("size"); wr.WriteNumberValue(mask.Height); wr.WriteNumberValue(mask.Width); wr.WriteEndArray();
            if (compressed) wr.WriteString("counts", CompressCounts(counts));
            else
            {
                wr.WriteStartArray("counts");
                foreach (uint c in counts) wr.WriteNumberValue(c);
                wr.WriteEndArray();
            }
            wr.WriteEndObject();
        }
    }

    /// <summary>How deep an RLE document may nest; the format itself needs two levels.</summary>
    public const int MaxJsonDepth = 8;

    /// <summary>
    /// Parses either counts form; <paramref name="source"/> names the input in errors. A few bytes can declare a
    /// huge mask (one run of four billion pixels), so the declared size is checked against
    /// <paramref name="maxMegapixels"/> before the mask is allocated.
    /// </summary>
    public static Mask FromJson(string json, string source = "RLE JSON", double maxMegapixels = MaskPng.DefaultMaxMegapixels)
    {
        if (!(maxMegapixels > 0)) throw new SegArgumentException(nameof(maxMegapixels), $"must be positive, got {maxMegapixels}");
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("size", out var size) || !root.TryGetProperty("counts", out var counts))
                throw new SegInputException(source, "expected an object {\"size\":[height,width],\"counts\":...}");
            if (size.ValueKind != JsonValueKind.Array || size.GetArrayLength() != 2
                || size[0].ValueKind != JsonValueKind.Number || size[1].ValueKind != JsonValueKind.Number
                || !size[0].TryGetInt32(out int h) || !size[1].TryGetInt32(out int w))
                throw new SegInputException(source, "\"size\" must be [height, width] integers");
            if (h > 0 && w > 0 && (double)w * h > maxMegapixels * 1e6)
                throw new SegInputException(source, $"declares a {w}x{h} mask = {(double)w * h / 1e6:0.#} MP, over the limit of {maxMegapixels} MP");
            uint[] runs;
            if (counts.ValueKind == JsonValueKind.String) runs = DecompressCounts(counts.GetString()!);
            else if (counts.ValueKind == JsonValueKind.Array)
            {
                runs = new uint[counts.GetArrayLength()];
                int i = 0;
                foreach (var e in counts.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.Number || !e.TryGetUInt32(out uint v)) throw new SegInputException(source, $"counts[{i}] is not a non-negative integer");
                    runs[i++] = v;
                }
            }
            else throw new SegInputException(source, "\"counts\" must be a list of run lengths or a compressed string");
            return Decode(h, w, runs);
        }
        catch (JsonException e) { throw new SegInputException(source, $"not valid JSON or nested deeper than {MaxJsonDepth} levels: {e.Message}", e); }
        catch (SegArgumentException e) { throw new SegInputException(source, e.Message, e); }
    }

    public static void Save(Mask mask, string path, bool compressed = true) => Core.IO.AtomicFile.WriteAllText(path, ToJson(mask, compressed));

    public static Mask Load(string path) => FromJson(Core.IO.TextFile.Read(path), path);
}

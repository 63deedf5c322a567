using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SegPlugins.Core.IO;

namespace SegPlugins.Core.Masks.IO;

/// <summary>
/// NumPy <c>.npy</c> files of float32 in C order: full-resolution logits [H,W] and low-res logits [256,256]
/// (a leading [1,1] is accepted on read). Shapes are bounded before anything is allocated.
/// </summary>
public static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest accepted element count (a 100 MP logit map).</summary>
    public const long MaxElements = 100_000_000;

    public static void Save(LogitMap map, string path) => AtomicFile.Write(path, s => Write(map, s));

    public static void Write(LogitMap map, Stream s)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({map.Height}, {map.Width}), }}";
        // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64 bytes.
        int total = 10 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        s.Write(Magic);
        s.WriteByte(1);
        s.WriteByte(0);
        Span<byte> len = [(byte)(header.Length & 0xFF), (byte)(header.Length >> 8)];
        s.Write(len);
        s.Write(Encoding.ASCII.GetBytes(header));
        if (BitConverter.IsLittleEndian) s.Write(MemoryMarshal.AsBytes(map.Data.AsSpan()));
        else foreach (float f in map.Data) { var b = BitConverter.GetBytes(f); Array.Reverse(b); s.Write(b); }
    }

    public static LogitMap Load(string path)
    {
        if (!File.Exists(path)) throw new SegInputException(path, "file not found");
        using var s = File.OpenRead(path);
        return Read(s, path);
    }

    public static LogitMap Read(Stream s, string name)
    {
        Span<byte> pre = stackalloc byte[10];
        if (ReadFull(s, pre) < 10 || !pre[..6].SequenceEqual(Magic))
            throw new SegInputException(name, "not a NumPy .npy file (bad magic)");
        byte major = pre[6];
        int headerLen;
        if (major == 1) headerLen = pre[8] | (pre[9] << 8);
        else if (major is 2 or 3)
        {
            Span<byte> more = stackalloc byte[2];
            if (ReadFull(s, more) < 2) throw new SegInputException(name, "truncated .npy header");
            headerLen = pre[8] | (pre[9] << 8) | (more[0] << 16) | (more[1] << 24);
        }
        else throw new SegInputException(name, $".npy format version {major} is not supported (expected 1, 2 or 3)");
        if (headerLen <= 0 || headerLen > 4096) throw new SegInputException(name, $".npy header length {headerLen} is out of range (1..4096)");
        var hb = new byte[headerLen];
        if (ReadFull(s, hb) < headerLen) throw new SegInputException(name, "truncated .npy header");
        string header = Encoding.ASCII.GetString(hb);
        string descr = Field(header, "descr", name);
        if (descr is not ("'<f4'" or "'|f4'" or "\"<f4\""))
            throw new SegInputException(name, $".npy dtype is {descr}; expected float32 little-endian ('<f4')");
        if (Field(header, "fortran_order", name) != "False")
            throw new SegInputException(name, ".npy is in Fortran order; expected C order");
        var shape = ParseShape(Field(header, "shape", name), name);
        while (shape.Count > 2 && shape[0] == 1) shape.RemoveAt(0);
        if (shape.Count != 2)
            throw new SegInputException(name, $".npy shape ({string.Join(", ", shape)}) is not 2-D; expected [H, W] (or [1, 1, H, W])");
        long count = shape[0] * shape[1];
        if (shape[0] <= 0 || shape[1] <= 0 || count > MaxElements)
            throw new SegInputException(name, $".npy shape ({shape[0]}, {shape[1]}) is out of range (1..{MaxElements} elements)");
        // A few hundred bytes may declare a 400 MB array: when the length is known, the data must be there before
        // the array is allocated.
        long need = count * sizeof(float);
        if (s.CanSeek && s.Length - s.Position < need)
            throw new SegInputException(name, $".npy data is truncated; shape ({shape[0]}, {shape[1]}) needs {need} bytes but the file holds {Math.Max(0, s.Length - s.Position)}");
        var data = new float[count];
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        if (ReadFull(s, bytes) < bytes.Length)
            throw new SegInputException(name, $".npy data is truncated; expected {bytes.Length} bytes for shape ({shape[0]}, {shape[1]})");
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < data.Length; i++) data[i] = BitConverter.Int32BitsToSingle(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(data[i])));
        return new LogitMap((int)shape[1], (int)shape[0], data);
    }

    private static string Field(string header, string key, string name)
    {
        int k = header.IndexOf("'" + key + "'", StringComparison.Ordinal);
        if (k < 0) k = header.IndexOf("\"" + key + "\"", StringComparison.Ordinal);
        if (k < 0) throw new SegInputException(name, $".npy header has no '{key}'");
        int colon = header.IndexOf(':', k);
        if (colon < 0) throw new SegInputException(name, $".npy header is malformed near '{key}'");
        int i = colon + 1;
        while (i < header.Length && header[i] == ' ') i++;
        int end;
        if (i < header.Length && header[i] == '(') end = header.IndexOf(')', i) + 1;
        else
        {
            end = i;
            while (end < header.Length && header[end] != ',' && header[end] != '}') end++;
        }
        if (end <= i) throw new SegInputException(name, $".npy header is malformed near '{key}'");
        return header[i..end].Trim();
    }

    private static List<long> ParseShape(string text, string name)
    {
        if (!text.StartsWith('(') || !text.EndsWith(')')) throw new SegInputException(name, $".npy shape '{text}' is malformed");
        var r = new List<long>();
        foreach (var p in text[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long v) || v > MaxElements)
                throw new SegInputException(name, $".npy shape '{text}' is malformed or too large");
            r.Add(v);
            if (r.Count > 8) throw new SegInputException(name, $".npy shape '{text}' has too many dimensions");
        }
        return r;
    }

    private static int ReadFull(Stream s, Span<byte> buf)
    {
        int n = 0;
        while (n < buf.Length)
        {
            int r = s.Read(buf[n..]);
            if (r == 0) break;
            n += r;
        }
        return n;
    }
}

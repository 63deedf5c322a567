using System.Text;
using System.Text.RegularExpressions;

namespace SegPlugins.Core.Tests.Fixtures;

/// <summary>Reader for the .npy files written by tests/fixtures/models/make_models.py (version 1.0,
/// little-endian float32 or uint8, C order).</summary>
internal sealed partial class Npy
{
    public required int[] Shape { get; init; }
    public float[] Data { get; init; } = [];

    public static Npy Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        // Layout: "\x93NUMPY", major, minor, uint16 header length, ASCII dict header, raw data.
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not an .npy file");
        if (bytes[6] != 1)
            throw new InvalidDataException($"{path}: only .npy version 1 is supported");
        int headerLen = bytes[8] | (bytes[9] << 8);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLen);
        int offset = 10 + headerLen;
        string descr = DescrRegex().Match(header).Groups[1].Value;
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new InvalidDataException($"{path}: Fortran order is not supported");
        int[] shape = ShapeRegex().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        int count = shape.Aggregate(1, (a, b) => a * b);
        var data = new float[count];
        switch (descr)
        {
            case "<f4":
                Buffer.BlockCopy(bytes, offset, data, 0, count * 4);
                break;
            case "|u1":
                for (int i = 0; i < count; i++) data[i] = bytes[offset + i];
                break;
            default:
                throw new InvalidDataException($"{path}: dtype {descr} is not supported");
        }
        return new Npy { Shape = shape, Data = data };
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}

using System.Buffers.Binary;
using System.IO.Hashing;

namespace SegPlugins.Core.Tests.Support;

/// <summary>
/// Image files whose headers declare a size and that hold no pixels: what a decompression bomb looks like to a loader
/// that reads the header first. Shared by the Core and the command-line tests.
/// </summary>
public static class CraftedHeaders
{
    /// <summary>A PNG signature, an IHDR chunk (8-bit RGBA) with a correct CRC, and IEND.</summary>
    public static byte[] PngDeclaring(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8; // bit depth
        ihdr[13] = 6; // RGBA
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, 13);
        ms.Write(word);
        ms.Write(ihdr);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(ihdr));
        ms.Write(word);
        ms.Write([0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82]);
        return ms.ToArray();
    }

    /// <summary>Start of image, a baseline start-of-frame (SOF0) with three components, end of image: 25 bytes.</summary>
    public static byte[] JpegDeclaring(int width, int height)
    {
        var b = new List<byte> { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 17, 8 };
        b.AddRange([(byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3]);
        for (byte c = 1; c <= 3; c++) b.AddRange([c, 0x11, 0]);
        b.AddRange([0xFF, 0xD9]);
        return [.. b];
    }

    /// <summary>A BITMAPFILEHEADER and BITMAPINFOHEADER for a 24-bit image, and no pixels: 54 bytes.</summary>
    public static byte[] BmpDeclaring(int width, int height)
    {
        var b = new byte[54];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);
        return b;
    }
}

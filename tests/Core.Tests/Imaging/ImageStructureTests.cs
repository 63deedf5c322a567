using System.Buffers.Binary;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Imaging;

/// <summary>
/// Malformed JPEG and BMP files that made the image library throw NullReferenceException or DivideByZeroException
/// (found by fuzzing, tests/Fuzz) are refused before decoding with a message naming the file and what is wrong.
/// </summary>
public class ImageStructureTests
{
    private static byte[] Seed(string name) => File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", "corpus", "image", name));

    private static string Refusal(byte[] file)
    {
        using var s = new MemoryStream(file);
        return Assert.Throws<SegInputException>(() => ImageIO.Load(s, "photo.jpg")).Message;
    }

    /// <summary>The marker segments of a JPEG up to its first scan, and everything from the scan on.</summary>
    private static (List<byte[]> Segments, byte[] Scan) Split(byte[] jpeg)
    {
        var segments = new List<byte[]>();
        int pos = 2;
        while (jpeg[pos + 1] != 0xDA)
        {
            int len = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(pos + 2));
            segments.Add(jpeg[pos..(pos + 2 + len)]);
            pos += 2 + len;
        }
        return (segments, jpeg[pos..]);
    }

    private static byte[] Join(IEnumerable<byte[]> segments, byte[] tail) => [0xFF, 0xD8, .. segments.SelectMany(s => s), .. tail];

    [Fact]
    public void Jpeg_TheSeedItselfLoads()
    {
        using var s = new MemoryStream(Seed("baseline.jpg"));
        var image = ImageIO.Load(s, "photo.jpg");
        Assert.Equal((16, 12), (image.Width, image.Height));
    }

    [Fact]
    public void Jpeg_WithoutFrameHeader_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var noFrame = segments.Where(s => s[1] != 0xC0);
        Assert.Equal("photo.jpg: JPEG image data (start-of-scan) comes before the frame header; the file is corrupt", Refusal(Join(noFrame, scan)));
        Assert.Equal("photo.jpg: JPEG ends before its frame header (no SOF marker); the file is corrupt", Refusal(Join(noFrame, [0xFF, 0xD9])));
    }

    [Fact]
    public void Jpeg_WithoutScan_IsRefused()
    {
        var (segments, _) = Split(Seed("baseline.jpg"));
        Assert.Equal("photo.jpg: JPEG ends before its image data (no start-of-scan marker); the file is corrupt", Refusal(Join(segments, [0xFF, 0xD9])));
    }

    [Theory]
    [InlineData(1, new byte[] { 0x12, 0x34 })]                    // after the first segment
    [InlineData(2, new byte[] { 0x12, 0x34 })]                    // between two segments
    [InlineData(2, new byte[] { 0x00, 0xFF, 0x00, 0x7F })]        // with a stuffed FF 00 inside the run
    [InlineData(3, new byte[] { 0xAB })]
    public void Jpeg_WithStrayBytesBetweenSegments_LoadsAsWithoutThem(int where, byte[] stray)
    {
        // libjpeg skips such bytes with a warning ("extraneous bytes before marker"); so do we, and the decoder
        // (which can lose the frame header on them) only sees the file without them.
        var seed = Seed("baseline.jpg");
        var (segments, scan) = Split(seed);
        using var clean = new MemoryStream(seed);
        var expected = ImageIO.Load(clean, "photo.jpg");
        segments.Insert(Math.Min(where, segments.Count), stray);
        segments.Insert(1, [.. Enumerable.Repeat((byte)0x5A, 1000)]); // and a long run elsewhere
        using var dirty = new MemoryStream(Join(segments, scan));
        var image = ImageIO.Load(dirty, "photo.jpg");
        Assert.Equal(expected.Pixels, image.Pixels);
    }

    [Fact]
    public void Jpeg_WithStrayBytesAndNoMarkerAfterThem_IsRefused()
    {
        var (segments, _) = Split(Seed("baseline.jpg"));
        var frameless = segments.Where(s => s[1] != 0xC0).ToList();
        Assert.Equal("photo.jpg: JPEG has no frame header (SOF marker); the file is corrupt", Refusal(Join(frameless, [0x12, 0x34, 0xFF, 0x00, 0x56])));
        Assert.Equal("photo.jpg: JPEG has no image data (no start-of-scan marker); the file is corrupt", Refusal(Join(segments, [0x12, 0x34])));
    }

    [Fact]
    public void Jpeg_DeclaringFarMorePixelsThanItsBytesCanHold_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var sof = segments.Single(s => s[1] == 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(7), 65000); // width
        BinaryPrimitives.WriteUInt16BigEndian(sof.AsSpan(5), 240);   // height
        var message = Refusal(Join(segments, scan));
        Assert.StartsWith("photo.jpg: JPEG declares 65000x240 pixels but the file has only ", message);
        Assert.EndsWith("it is truncated or corrupt", message);
    }

    [Fact]
    public void Jpeg_ZeroSamplingFactorOrScanOfUnknownComponent_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var sof = segments.Single(s => s[1] == 0xC0);
        byte sampling = sof[11];
        sof[11] = 0x20;
        Assert.Equal("photo.jpg: JPEG component 0 has sampling factors 2x0 and quantisation table 0; expected factors 1..4 and table 0..3", Refusal(Join(segments, scan)));
        sof[11] = sampling;
        var badScan = (byte[])scan.Clone();
        badScan[5] = 9; // first scan component id
        Assert.Equal("photo.jpg: JPEG scan refers to component 9, which the frame header does not define; the file is corrupt", Refusal(Join(segments, badScan)));
    }

    [Fact]
    public void Jpeg_SegmentRunningPastTheEnd_IsRefused()
    {
        var (segments, _) = Split(Seed("baseline.jpg"));
        var cut = Join(segments.Take(3), []).Concat(segments[3][..10]).ToArray(); // a DHT cut short
        Array.Resize(ref cut, cut.Length + 2);
        cut[^2] = 0xFF; cut[^1] = 0xD9;
        Assert.Contains("runs past the end of the file; the file is truncated or corrupt", Refusal(cut));
    }

    [Fact]
    public void Jpeg_ReservedMarker_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        segments[1][1] = 0x7F; // the first DQT's marker, as the fuzzer mutated it
        int at = 2 + segments[0].Length;
        Assert.Equal($"photo.jpg: JPEG has an invalid marker 0xFF7F at byte {at}; the file is corrupt", Refusal(Join(segments, scan)));
    }

    [Fact]
    public void Jpeg_NumberOfLinesSegmentBeforeTheScan_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        segments[2][1] = 0xDC; // the second DQT becomes a DNL, as in the fuzz re-run finding
        int at = 2 + segments[0].Length + segments[1].Length;
        Assert.Equal($"photo.jpg: JPEG has a DNL segment at byte {at}, before any image data; the file is corrupt", Refusal(Join(segments, scan)));
    }

    [Fact]
    public void Jpeg_MissingQuantisationTable_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var withoutChroma = segments.Where(s => !(s[1] == 0xDB && (s[4] & 15) == 1));
        Assert.Equal("photo.jpg: JPEG component 1 uses quantisation table 1, which no DQT segment defines; the file is corrupt", Refusal(Join(withoutChroma, scan)));
    }

    [Fact]
    public void Jpeg_MissingHuffmanTable_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var withoutLumaAc = segments.Where(s => !(s[1] == 0xC4 && s[4] == 0x10));
        Assert.Equal("photo.jpg: JPEG scan uses Huffman tables DC 0 / AC 0 for component 1, which no DHT segment defines; the file is corrupt", Refusal(Join(withoutLumaAc, scan)));
    }

    [Fact]
    public void Jpeg_HuffmanTableWithMoreSymbolsThanItsSegment_IsRefused()
    {
        var (segments, scan) = Split(Seed("baseline.jpg"));
        var dht = segments.First(s => s[1] == 0xC4);
        dht[5 + 15] = 200; // the count of 16-bit codes: more symbols than the segment holds
        int at = 2 + segments.TakeWhile(s => s != dht).Sum(s => s.Length);
        Assert.Equal($"photo.jpg: JPEG Huffman table segment at byte {at} is malformed; the file is corrupt", Refusal(Join(segments, scan)));
    }

    private static byte[] Bmp24() => Seed("rgb24.bmp");

    [Fact]
    public void Bmp_ZeroBitsPerPixel_IsRefused()
    {
        var bmp = Bmp24();
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(28), 0);
        Assert.Equal("photo.jpg: BMP has 0 bits per pixel; expected 1, 4, 8, 16, 24 or 32", Refusal(bmp));
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(28), 2);
        Assert.Equal("photo.jpg: BMP has 2 bits per pixel; expected 1, 4, 8, 16, 24 or 32", Refusal(bmp));
    }

    [Fact]
    public void Bmp_PaletteImageWithoutColourTable_IsRefused()
    {
        var bmp = Bmp24();
        BinaryPrimitives.WriteUInt16LittleEndian(bmp.AsSpan(28), 8); // 8-bit, but pixel data starts right after the headers
        Assert.Equal("photo.jpg: BMP image has 8 bits per pixel but no colour table (pixel data starts at byte 54, right after the headers); the file is corrupt", Refusal(bmp));
    }

    [Fact]
    public void Bmp_ColourTableLargerThanTheDepthAllows_IsRefused()
    {
        var bmp = Seed("palette8.bmp");
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(46), 0x677B2F30);
        Assert.Equal("photo.jpg: BMP colour table claims 1736126256 colours; a 8-bit image has at most 256", Refusal(bmp));
    }

    [Fact]
    public void Bmp_ColourCountBeyondTheFile_IsRefused()
    {
        // Under a 1 GiB heap the decoder ran out of memory allocating this colour table for a 32-bit image (fuzz re-run finding).
        var bmp = Seed("rgba32.bmp");
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(46), 2459079314);
        Assert.Equal($"photo.jpg: BMP colour table claims 2459079314 colours, more than the {bmp.Length} byte file holds; the file is corrupt", Refusal(bmp));
    }

    [Fact]
    public void Bmp_AlphaBitfieldsDeclaringMegapixelsInAFewBytes_IsRefusedAsTruncated()
    {
        // Fuzz re-run hang: 397 bytes declaring 2825x32768 with BI_ALPHABITFIELDS decoded (as padding) for seconds.
        var bmp = Seed("rgba32.bmp");
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 2825);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), 32768);
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(30), 6);
        Assert.Equal($"photo.jpg: BMP is truncated: 2825x32768 at 32 bits per pixel needs {54 + 2825L * 4 * 32768} bytes, the file has {bmp.Length}", Refusal(bmp));
    }

    [Fact]
    public void Bmp_UnknownCompression_IsRefused()
    {
        // Fuzz re-run hang: compression 100 decoded a 770-byte file as 4873x8970 pixels of padding.
        var bmp = Seed("rgba32.bmp");
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(30), 100);
        Assert.Equal("photo.jpg: BMP compression 100 is unknown; expected 0 to 6 (uncompressed, RLE or bit fields)", Refusal(bmp));
    }

    [Fact]
    public void Bmp_RleCompressionWithTheWrongDepth_IsRefused()
    {
        var bmp = Bmp24();
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(30), 2);
        Assert.Equal("photo.jpg: BMP uses RLE4 compression with 24 bits per pixel; it needs 4", Refusal(bmp));
    }

    [Fact]
    public void Bmp_Truncated_IsRefused()
    {
        var bmp = Bmp24();
        Assert.Equal($"photo.jpg: BMP is truncated: 16x12 at 24 bits per pixel needs {bmp.Length} bytes, the file has {bmp.Length - 7}", Refusal(bmp[..^7]));
    }
}

/// <summary>Malformed PNG chunk structure (fuzz findings on mask PNGs: ArgumentOutOfRangeException from the decoder) is refused first.</summary>
public class PngStructureTests
{
    private static byte[] Seed(string name) => File.ReadAllBytes(Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", "corpus", "image", name));

    private static string MaskRefusal(byte[] png)
    {
        using var s = new MemoryStream(png);
        return Assert.Throws<SegInputException>(() => SegPlugins.Core.Masks.IO.MaskPng.LoadSoftMask(s, "mask.png")).Message;
    }

    private static string ImageRefusal(byte[] png)
    {
        using var s = new MemoryStream(png);
        return Assert.Throws<SegInputException>(() => ImageIO.Load(s, "mask.png")).Message;
    }

    [Fact]
    public void ChunkTypeWithANulByte_IsRefused()
    {
        var png = Seed("gray.png");
        png[15] = 0; // IHDR -> IHD\0, as the fuzzer found
        Assert.Equal("mask.png: PNG chunk at byte 8 has an invalid type; the file is corrupt", MaskRefusal(png));
    }

    [Fact]
    public void SecondHeaderChunk_IsRefused()
    {
        var png = Seed("gray.png");
        byte[] twice = [.. png[..33], .. png[8..33], .. png[33..]];
        Assert.Equal("mask.png: PNG has more than one IHDR chunk; the file is corrupt", MaskRefusal(twice));
        Assert.Equal("mask.png: PNG has more than one IHDR chunk; the file is corrupt", ImageRefusal(twice));
    }

    [Fact]
    public void InvalidDepthForColourType_IsRefused()
    {
        var png = Seed("rgba.png");
        png[8 + 8 + 8] = 4; // bit depth 4 with colour type 6
        Assert.Equal("mask.png: PNG colour type 6 with bit depth 4 is not a valid combination", MaskRefusal(png));
    }

    [Fact]
    public void PaletteImageWithoutPalette_IsRefused()
    {
        var png = Seed("palette.png");
        int plte = png.AsSpan().IndexOf("PLTE"u8) - 4;
        int len = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(plte));
        byte[] noPalette = [.. png[..plte], .. png[(plte + 12 + len)..]];
        Assert.Equal("mask.png: PNG palette image has no PLTE chunk before its image data; the file is corrupt", ImageRefusal(noPalette));
    }

    [Fact]
    public void ChunkRunningPastTheEnd_IsRefused()
    {
        var png = Seed("gray.png");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(33), 100_000); // the IDAT length
        Assert.Equal("mask.png: PNG chunk IDAT at byte 33 runs past the end of the file; the file is truncated or corrupt", MaskRefusal(png));
    }
}

using System.Buffers.Binary;

namespace SegPlugins.Core.Imaging.Internal;

/// <summary>
/// Structure checks run before the image library sees a JPEG or BMP. The library's decoders fail with a
/// NullReferenceException or a division by zero on some malformed files (a JPEG without a frame header or without
/// any scan, a palette BMP without a colour table; found by fuzzing), so those files are refused here with a message
/// that says what is missing.
/// </summary>
internal static class ImageHeaders
{
    /// <summary>
    /// Walks the JPEG marker segments from SOI to the first start-of-scan: every segment must fit in the file, a
    /// single supported frame header (baseline, extended or progressive Huffman; ITU T.81 table B.1) must come
    /// before the first scan, and that scan may only name components of the frame.
    /// </summary>
    /// <remarks><c>declared</c> is called with the frame header's size as soon as it is read, so that size limits speak
    /// before structural complaints about a file too small for that size.</remarks>
    /// <remarks>With <c>stray</c>, runs of stray bytes between segments are skipped the way libjpeg does (up to the
    /// next marker) and listed there as (position, length), for the caller to cut out before decoding; without it
    /// they are refused.</remarks>
    public static void CheckJpeg(Stream stream, long start, string name, Action<int, int>? declared = null, List<(long At, long Length)>? stray = null)
    {
        long end = stream.Length;
        long pos = start + 2; // after SOI
        Span<byte> seg = stackalloc byte[2 + 3 * 255 + 6];
        Span<byte> ids = stackalloc byte[4];
        Span<byte> quant = stackalloc byte[4];
        int components = 0, quantDefined = 0, dcDefined = 0, acDefined = 0;
        bool progressive = false;
        while (true)
        {
            // Segments follow each other directly; only fill bytes (FF FF ...) may come between them (T.81 B.1.1.2).
            // The image library resynchronises on stray bytes in ways that can lose the frame header, so stray
            // bytes are either refused or, like libjpeg ("extraneous bytes before marker"), skipped up to the next
            // marker and reported for removal.
            stream.Position = pos;
            int b = stream.ReadByte();
            pos++;
            if (b >= 0 && b != 0xFF)
            {
                if (stray is null)
                    throw new SegInputException(name, $"JPEG has stray data at byte {pos - 1} where a marker was expected; the file is corrupt");
                long from = pos - 1;
                // The marker is the first FF followed by anything but 00 (a stuffed FF, as inside scan data).
                int prev = b;
                long prevAt = from;
                while (true)
                {
                    int c = stream.ReadByte();
                    if (c < 0)
                        throw new SegInputException(name, components == 0 ? "JPEG has no frame header (SOF marker); the file is corrupt" : "JPEG has no image data (no start-of-scan marker); the file is corrupt");
                    if (prev == 0xFF && c != 0x00) break;
                    prev = c;
                    prevAt++;
                }
                stray.Add((from, prevAt - from));
                pos = prevAt + 1;
                stream.Position = pos;
            }
            do { b = stream.ReadByte(); pos++; } while (b == 0xFF);
            if (b < 0)
                throw new SegInputException(name, components == 0 ? "JPEG has no frame header (SOF marker); the file is corrupt" : "JPEG has no image data (no start-of-scan marker); the file is corrupt");
            byte marker = (byte)b;
            long at = pos - 2;
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD8) continue; // TEM, RSTn, SOI: no length
            if (marker < 0xC0) // 0x00 is only a stuffing byte inside scan data; 0x02..0xBF are reserved (T.81 table B.1)
                throw new SegInputException(name, $"JPEG has an invalid marker 0xFF{marker:X2} at byte {at}; the file is corrupt");
            if (marker == 0xD9)
                throw new SegInputException(name, components == 0 ? "JPEG ends before its frame header (no SOF marker); the file is corrupt" : "JPEG ends before its image data (no start-of-scan marker); the file is corrupt");
            // DNL only follows a first scan (T.81 B.2.5); before one, the library's header reader fails on a null reference.
            if (marker == 0xDC)
                throw new SegInputException(name, $"JPEG has a DNL segment at byte {at}, before any image data; the file is corrupt");
            if (end - pos < 2) throw Truncated(name, marker, at);
            int len = (stream.ReadByte() << 8) | stream.ReadByte();
            if (len < 2 || pos + len > end) throw Truncated(name, marker, at);
            bool sof = marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC);
            if (sof)
            {
                if (marker is not (0xC0 or 0xC1 or 0xC2))
                    throw new SegInputException(name, $"JPEG coding process 0xFF{marker:X2} (lossless, hierarchical or arithmetic) is not supported; expected baseline or progressive JPEG");
                if (components != 0) throw new SegInputException(name, "JPEG has more than one frame header; the file is corrupt");
                if (len < 8) throw Malformed(name, "frame header", at);
                var f = seg[..(len - 2 > seg.Length ? seg.Length : len - 2)];
                stream.ReadExactly(f);
                int precision = f[0], height = BinaryPrimitives.ReadUInt16BigEndian(f[1..]), width = BinaryPrimitives.ReadUInt16BigEndian(f[3..]), n = f[5];
                if (precision is not (8 or 12)) throw new SegInputException(name, $"JPEG sample precision is {precision} bits; expected 8");
                if (width == 0 || height == 0) throw new SegInputException(name, $"JPEG frame header gives a size of {width}x{height}; expected a non-zero width and height");
                if (n is < 1 or > 4 || len != 8 + 3 * n) throw new SegInputException(name, $"JPEG frame header lists {n} components in {len} bytes; expected 1 to 4 components of 3 bytes each");
                int hMax = 1, vMax = 1;
                for (int c = 0; c < n; c++)
                {
                    int sampling = f[7 + 3 * c], h = sampling >> 4, v = sampling & 15, tq = f[8 + 3 * c];
                    if (h is < 1 or > 4 || v is < 1 or > 4 || tq > 3)
                        throw new SegInputException(name, $"JPEG component {c} has sampling factors {h}x{v} and quantisation table {tq}; expected factors 1..4 and table 0..3");
                    ids[c] = f[6 + 3 * c];
                    quant[c] = (byte)tq;
                    hMax = Math.Max(hMax, h);
                    vMax = Math.Max(vMax, v);
                }
                components = n;
                progressive = marker == 0xC2;
                // Every 8x8 block gets a DC coefficient, and a Huffman code is at least one bit (T.81 F.1.2.1, G.1.2.1),
                // so the file needs at least one bit per block of its least sampled component. A few hundred bytes
                // that declare megapixels are a cut-off or forged file that the decoder would pad with grey.
                declared?.Invoke(width, height);
                long minBits = (long)(width / (8 * hMax)) * (height / (8 * vMax));
                if (minBits > (end - start) * 8)
                    throw new SegInputException(name, $"JPEG declares {width}x{height} pixels but the file has only {end - start} bytes, fewer than that many pixels need; it is truncated or corrupt");
            }
            else if (marker == 0xDA)
            {
                if (components == 0) throw new SegInputException(name, "JPEG image data (start-of-scan) comes before the frame header; the file is corrupt");
                var s = seg[..Math.Min(len - 2, seg.Length)];
                stream.ReadExactly(s);
                int n = s.Length > 0 ? s[0] : 0;
                if (n is < 1 or > 4 || len != 6 + 2 * n) throw new SegInputException(name, $"JPEG scan header lists {n} components in {len} bytes; expected 1 to 4 components of 2 bytes each");
                for (int c = 0; c < n; c++)
                    if (!ids[..components].Contains(s[1 + 2 * c]))
                        throw new SegInputException(name, $"JPEG scan refers to component {s[1 + 2 * c]}, which the frame header does not define; the file is corrupt");
                // The decoder dereferences the tables of the first scan without checking that they exist.
                for (int c = 0; c < components; c++)
                    if ((quantDefined & (1 << quant[c])) == 0)
                        throw new SegInputException(name, $"JPEG component {c} uses quantisation table {quant[c]}, which no DQT segment defines; the file is corrupt");
                int spectralStart = s[1 + 2 * n];
                bool needDc = !progressive || spectralStart == 0, needAc = !progressive || spectralStart > 0;
                for (int c = 0; c < n; c++)
                {
                    int td = s[2 + 2 * c] >> 4, ta = s[2 + 2 * c] & 15;
                    if (needDc && (td > 3 || (dcDefined & (1 << td)) == 0) || needAc && (ta > 3 || (acDefined & (1 << ta)) == 0))
                        throw new SegInputException(name, $"JPEG scan uses Huffman tables DC {td} / AC {ta} for component {s[1 + 2 * c]}, which no DHT segment defines; the file is corrupt");
                }
                return;
            }
            else if (marker is 0xDB or 0xC4)
            {
                var body = new byte[len - 2];
                stream.ReadExactly(body);
                if (marker == 0xDB) quantDefined |= QuantTables(body, name, at);
                else
                {
                    var (dc, ac) = HuffmanTables(body, name, at);
                    dcDefined |= dc;
                    acDefined |= ac;
                }
            }
            pos += len;
        }
    }

    /// <summary>The tables a DQT segment defines, as a bit mask (T.81 B.2.4.1: Pq/Tq byte, then 64 or 128 bytes each).</summary>
    private static int QuantTables(ReadOnlySpan<byte> body, string name, long at)
    {
        int mask = 0;
        while (body.Length > 0)
        {
            int pq = body[0] >> 4, tq = body[0] & 15, size = pq == 0 ? 64 : 128;
            if (pq > 1 || tq > 3 || body.Length < 1 + size)
                throw new SegInputException(name, $"JPEG quantisation table segment at byte {at} is malformed; the file is corrupt");
            mask |= 1 << tq;
            body = body[(1 + size)..];
        }
        return mask;
    }

    /// <summary>The DC and AC tables a DHT segment defines (T.81 B.2.4.2: Tc/Th byte, 16 counts, the symbols).</summary>
    private static (int Dc, int Ac) HuffmanTables(ReadOnlySpan<byte> body, string name, long at)
    {
        int dc = 0, ac = 0;
        while (body.Length > 0)
        {
            if (body.Length < 17) throw new SegInputException(name, $"JPEG Huffman table segment at byte {at} is malformed; the file is corrupt");
            int tc = body[0] >> 4, th = body[0] & 15, symbols = 0;
            for (int i = 1; i <= 16; i++) symbols += body[i];
            if (tc > 1 || th > 3 || symbols > 256 || body.Length < 17 + symbols)
                throw new SegInputException(name, $"JPEG Huffman table segment at byte {at} is malformed; the file is corrupt");
            if (tc == 0) dc |= 1 << th; else ac |= 1 << th;
            body = body[(17 + symbols)..];
        }
        return (dc, ac);
    }

    /// <summary>
    /// Bit depth, colour table and compression of a BMP must agree: a BMP with 8 or fewer bits per pixel indexes
    /// a colour table between the headers and the pixel data (one whose pixel data starts right after the headers
    /// has none), and the RLE codings are defined for one depth each.
    /// </summary>
    /// <remarks><c>declared</c> is called with the header's size before the pixel data is checked against it.</remarks>
    public static void CheckBmp(Stream stream, long start, string name, Action<int, int>? declared = null)
    {
        Span<byte> h = stackalloc byte[50];
        stream.Position = start;
        int n = 0;
        while (n < h.Length)
        {
            int r = stream.Read(h[n..]);
            if (r == 0) break;
            n += r;
        }
        if (n < 14 + 12) throw new SegInputException(name, $"BMP file is {n} bytes; too short to hold its headers");
        long offset = BinaryPrimitives.ReadUInt32LittleEndian(h[10..]);
        long headerSize = BinaryPrimitives.ReadUInt32LittleEndian(h[14..]);
        int bpp = headerSize == 12 ? BinaryPrimitives.ReadUInt16LittleEndian(h[24..]) : n >= 30 ? BinaryPrimitives.ReadUInt16LittleEndian(h[28..]) : 0;
        long colorsUsed = headerSize >= 40 && n >= 50 ? BinaryPrimitives.ReadUInt32LittleEndian(h[46..]) : 0;
        long compression = headerSize >= 40 && n >= 34 ? BinaryPrimitives.ReadUInt32LittleEndian(h[30..]) : 0;
        // The bit depths of the Windows BMP format; the library divides by the depth and has no colour table for others.
        // Uncompressed pixel rows (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) are padded to 4 bytes; a file shorter than
        // its rows is cut off, and the decoder would pad it silently (and spend seconds doing so for a large size).
        long width = headerSize == 12 ? BinaryPrimitives.ReadUInt16LittleEndian(h[18..]) : n >= 26 ? BinaryPrimitives.ReadInt32LittleEndian(h[18..]) : 0;
        long height = headerSize == 12 ? BinaryPrimitives.ReadUInt16LittleEndian(h[20..]) : n >= 26 ? Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(h[22..])) : 0;
        if (width > 0 && height > 0) declared?.Invoke((int)Math.Min(width, int.MaxValue), (int)Math.Min(height, int.MaxValue));
        if (compression is 0 or 3 or 6 && bpp > 0 && width > 0 && height > 0)
        {
            long stride = (width * bpp + 31) / 32 * 4;
            long length = stream.Length - start;
            if (offset + stride * height > length)
                throw new SegInputException(name, $"BMP is truncated: {width}x{height} at {bpp} bits per pixel needs {offset + stride * height} bytes, the file has {length}");
        }
        if (bpp is not (1 or 4 or 8 or 16 or 24 or 32))
            throw new SegInputException(name, $"BMP has {bpp} bits per pixel; expected 1, 4, 8, 16, 24 or 32");
        if (bpp <= 8)
        {
            if (offset - 14 - headerSize < 3)
                throw new SegInputException(name, $"BMP image has {bpp} bits per pixel but no colour table (pixel data starts at byte {offset}, right after the headers); the file is corrupt");
            if (colorsUsed > 1 << bpp)
                throw new SegInputException(name, $"BMP colour table claims {colorsUsed} colours; a {bpp}-bit image has at most {1 << bpp}");
        }
        // BMP compression codes end at 6 (BI_ALPHABITFIELDS). The decoder treats an unknown code as uncompressed and
        // pads the missing rows, so a few hundred bytes would decode as megapixels of nothing.
        if (compression > 6)
            throw new SegInputException(name, $"BMP compression {compression} is unknown; expected 0 to 6 (uncompressed, RLE or bit fields)");
        // The decoder allocates the colour table from this count before reading it, for any depth.
        if (colorsUsed * 4 > stream.Length - start - 14 - headerSize)
            throw new SegInputException(name, $"BMP colour table claims {colorsUsed} colours, more than the {stream.Length - start} byte file holds; the file is corrupt");
        // BI_RLE8 and BI_RLE4 (compression 1 and 2) index a colour table and are only defined for 8 and 4 bits per pixel.
        if (compression == 1 && bpp != 8 || compression == 2 && bpp != 4)
            throw new SegInputException(name, $"BMP uses {(compression == 1 ? "RLE8" : "RLE4")} compression with {bpp} bits per pixel; it needs {(compression == 1 ? 8 : 4)}");
    }

    /// <summary>
    /// Walks the PNG chunks from the signature to IEND: every chunk must have a valid type and fit in the file,
    /// IHDR must come first and only once with a valid size and bit depth / colour type pair (PNG spec 11.2.2),
    /// a palette image needs PLTE before its data, and there must be image data. The image library fails with
    /// argument exceptions on files that break these rules (a chunk type with a NUL byte, a second IHDR).
    /// </summary>
    /// <remarks><c>declared</c> is called with the IHDR size as soon as it is read, before the rest of the file is judged.</remarks>
    public static void CheckPng(Stream stream, long start, string name, Action<int, int>? declared = null)
    {
        long end = stream.Length;
        long pos = start + 8;
        Span<byte> head = stackalloc byte[8];
        Span<byte> ihdr = stackalloc byte[13];
        int colorType = -1;
        bool palette = false, data = false;
        while (true)
        {
            if (end - pos < 12)
                throw new SegInputException(name, $"PNG ends inside a chunk at byte {pos - start} (no IEND chunk); the file is truncated or corrupt");
            stream.Position = pos;
            stream.ReadExactly(head);
            long len = BinaryPrimitives.ReadUInt32BigEndian(head);
            var type = head[4..];
            string typeName = System.Text.Encoding.ASCII.GetString(type);
            foreach (byte t in type)
                if (t is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
                    throw new SegInputException(name, $"PNG chunk at byte {pos - start} has an invalid type; the file is corrupt");
            if (len > int.MaxValue || pos + 12 + len > end)
                throw new SegInputException(name, $"PNG chunk {typeName} at byte {pos - start} runs past the end of the file; the file is truncated or corrupt");
            bool isIhdr = type.SequenceEqual("IHDR"u8);
            if (colorType < 0 && !isIhdr)
                throw new SegInputException(name, "PNG does not start with an IHDR chunk; the file is corrupt");
            if (isIhdr)
            {
                if (colorType >= 0) throw new SegInputException(name, "PNG has more than one IHDR chunk; the file is corrupt");
                if (len != 13) throw new SegInputException(name, $"PNG IHDR chunk is {len} bytes; expected 13");
                stream.ReadExactly(ihdr);
                uint width = BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = BinaryPrimitives.ReadUInt32BigEndian(ihdr[4..]);
                int depth = ihdr[8];
                colorType = ihdr[9];
                if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
                    throw new SegInputException(name, $"PNG IHDR gives a size of {width}x{height}; expected a non-zero width and height");
                declared?.Invoke((int)width, (int)height);
                bool valid = colorType switch
                {
                    0 => depth is 1 or 2 or 4 or 8 or 16,
                    3 => depth is 1 or 2 or 4 or 8,
                    2 or 4 or 6 => depth is 8 or 16,
                    _ => false,
                };
                if (!valid) throw new SegInputException(name, $"PNG colour type {colorType} with bit depth {depth} is not a valid combination");
                if (ihdr[10] != 0 || ihdr[11] != 0 || ihdr[12] > 1)
                    throw new SegInputException(name, $"PNG IHDR names compression {ihdr[10]}, filter {ihdr[11]} and interlace {ihdr[12]}; expected 0, 0 and 0 or 1");
            }
            else if (type.SequenceEqual("PLTE"u8)) palette = true;
            else if (type.SequenceEqual("IDAT"u8))
            {
                if (colorType == 3 && !palette) throw new SegInputException(name, "PNG palette image has no PLTE chunk before its image data; the file is corrupt");
                data = true;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                if (!data) throw new SegInputException(name, "PNG has no image data (IDAT chunk); the file is corrupt");
                return;
            }
            pos += 12 + len;
        }
    }

    private static SegInputException Truncated(string name, byte marker, long at) =>
        new(name, $"JPEG segment 0xFF{marker:X2} at byte {at} runs past the end of the file; the file is truncated or corrupt");

    private static SegInputException Malformed(string name, string what, long at) =>
        new(name, $"JPEG {what} at byte {at} is too short; the file is corrupt");
}

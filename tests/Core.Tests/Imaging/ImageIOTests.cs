using System.Buffers.Binary;
using System.IO.Hashing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Imaging;

public class ImageIOTests
{
    /// <summary>A PNG whose header declares any size, with valid CRCs and an IEND chunk but no pixel data.</summary>
    internal static byte[] PngHeaderOnly(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8; ihdr[13] = 2; // 8-bit RGB
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, 13);
        ms.Write(len);
        ms.Write(ihdr);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(ihdr));
        ms.Write(crc);
        ms.Write([0, 0, 0, 0, (byte)'I', (byte)'E', (byte)'N', (byte)'D', 0xAE, 0x42, 0x60, 0x82]);
        return ms.ToArray();
    }

    [Fact]
    public void LoadsPngAndJpegSamples()
    {
        var cat = ImageIO.Load(TestPaths.Sample("chelsea.png"));
        Assert.Equal((451, 300), (cat.Width, cat.Height));
        Assert.Equal(255, cat.Row(10)[3]); // opaque
        var coffee = ImageIO.Load(TestPaths.Sample("coffee.jpg"));
        Assert.Equal((600, 400), (coffee.Width, coffee.Height));
    }

    [Fact]
    public void PngRoundTripKeepsPixelsAndAlpha()
    {
        using var dir = new TempDir();
        var img = new BgraImage(5, 3);
        var rng = new Random(1);
        rng.NextBytes(img.Pixels);
        ImageIO.SavePng(img, dir.File("a.png"));
        var back = ImageIO.Load(dir.File("a.png"));
        Assert.Equal(img.Pixels, back.Pixels);
        Assert.Empty(Directory.GetFiles(dir.Path, ".segtmp-*"));
    }

    [Fact]
    public void TiffIsRefusedByName()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.tif"), [(byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 0, 0, 0, 0]);
        var e = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("x.tif")));
        Assert.Contains("TIFF", e.Message);
        Assert.Contains("x.tif", e.Message);
    }

    [Fact]
    public void UnknownFormatIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.gif"), "GIF89a\x01\x00\x01\x00"u8.ToArray());
        var e = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("x.gif")));
        Assert.Contains("expected PNG, JPEG or BMP", e.Message);
    }

    [Fact]
    public void CorruptAndTruncatedImagesGetAClearError()
    {
        using var dir = new TempDir();
        var png = File.ReadAllBytes(TestPaths.Sample("chelsea.png"));
        var jpgBytes = File.ReadAllBytes(TestPaths.Sample("coffee.jpg"));
        File.WriteAllBytes(dir.File("half.png"), png[..(png.Length / 2)]);
        var e1 = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("half.png")));
        Assert.Contains("half.png", e1.Message);
        Assert.Contains("truncated", e1.Message);
        File.WriteAllBytes(dir.File("half.jpg"), jpgBytes[..(jpgBytes.Length / 2)]);
        Assert.Contains("truncated", Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("half.jpg"))).Message);

        var jpg = File.ReadAllBytes(TestPaths.Sample("coffee.jpg"));
        var broken = (byte[])jpg.Clone();
        for (int i = 200; i < 400; i++) broken[i] = 0xFF;
        File.WriteAllBytes(dir.File("broken.jpg"), broken[..600]);
        var e2 = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("broken.jpg")));
        Assert.Contains("broken.jpg", e2.Message);

        File.WriteAllBytes(dir.File("empty.png"), []);
        Assert.Contains("empty", Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("empty.png"))).Message);
        Assert.Contains("not found", Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("missing.png"))).Message);
    }

    [Fact]
    public void HugeDeclaredSizeIsRefusedBeforeDecoding()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("bomb.png"), PngHeaderOnly(20000, 20000));
        var e = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("bomb.png")));
        Assert.Contains("400 MP", e.Message);
        Assert.Contains("MaxPixels", e.Message);

        // The limit is configurable.
        var small = Assert.Throws<SegInputException>(() => ImageIO.Load(TestPaths.Sample("chelsea.png"), new ImageLoadOptions { MaxPixels = 100_000 }));
        Assert.Contains("0.1 MP", small.Message);
    }

    [Fact]
    public void ZeroSizeImageIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("zero.png"), PngHeaderOnly(0, 10));
        var e = Assert.Throws<SegInputException>(() => ImageIO.Load(dir.File("zero.png")));
        Assert.Contains("zero.png", e.Message);
    }

    [Fact]
    public void BgraImageChecksItsArguments()
    {
        Assert.Throws<SegArgumentException>(() => new BgraImage(0, 5));
        Assert.Throws<SegArgumentException>(() => new BgraImage(4, 4, new byte[60], 16));
        Assert.Throws<SegArgumentException>(() => new BgraImage(4, 4, new byte[64], 12));
        var ok = new BgraImage(3, 2, new byte[2 * 16], 16); // stride padding is allowed
        Assert.Equal(12, ok.Row(1).Length);
    }
}

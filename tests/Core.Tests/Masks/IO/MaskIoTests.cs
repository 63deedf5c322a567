using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using Xunit;

namespace SegPlugins.Core.Tests.Masks.IO;

public sealed class MaskIoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("segmask").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void GreyPngRoundTripsHardAndSoft()
    {
        var m = Ascii.Random(13, 7, 0.5, 3);
        string p = Path.Combine(_dir, "m.png");
        MaskPng.Save(m, p);
        Assert.Equal(m.Data, MaskPng.LoadMask(p).Data);
        var s = new SoftMask(5, 3);
        for (int i = 0; i < s.Data.Length; i++) s.Data[i] = (byte)(i * 17);
        MaskPng.Save(s, p);
        Assert.Equal(s.Data, MaskPng.LoadSoftMask(p).Data);
        Assert.Equal(Directory.GetFiles(_dir).Select(Path.GetFileName), new[] { "m.png" }); // no temp files left
    }

    [Fact]
    public void AlphaPngRoundTrips()
    {
        var s = new SoftMask(4, 2, new byte[] { 0, 10, 128, 255, 255, 1, 2, 3 });
        var colour = new BgraImage(4, 2);
        colour.Pixels.AsSpan().Fill(77);
        string p = Path.Combine(_dir, "a.png");
        MaskPng.SaveAsAlpha(s, p, colour);
        Assert.Equal(s.Data, MaskPng.LoadSoftMask(p).Data); // Auto picks alpha
        Assert.Equal(s.Data, MaskPng.LoadSoftMask(p, MaskChannel.Alpha).Data);
        Assert.Equal(Enumerable.Repeat((byte)77, 8), MaskPng.LoadSoftMask(p, MaskChannel.Gray).Data);
    }

    [Fact]
    public void RefusesTruncatedMaskPng()
    {
        var m = new Mask(40, 30);
        for (int i = 0; i < m.Data.Length; i += 3) m.Data[i] = 255;
        string full = Path.Combine(_dir, "whole.png"), cut = Path.Combine(_dir, "cut.png");
        MaskPng.Save(m, full);
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 20)]);
        Assert.Equal(m.Data, MaskPng.LoadMask(full).Data);
        var e = Assert.Throws<SegInputException>(() => MaskPng.LoadMask(cut));
        Assert.Contains("cut.png", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void RefusesLargeAndNonPngFiles()
    {
        string p = Path.Combine(_dir, "big.png");
        MaskPng.Save(new Mask(200, 100), p);
        var e = Assert.Throws<SegInputException>(() => MaskPng.LoadMask(p, maxMegapixels: 0.01));
        Assert.Contains("big.png", e.Message);
        Assert.Contains("200x100", e.Message);
        string t = Path.Combine(_dir, "x.png");
        File.WriteAllText(t, "not an image");
        Assert.Contains("x.png", Assert.Throws<SegInputException>(() => MaskPng.LoadMask(t)).Message);
        Assert.Throws<SegInputException>(() => MaskPng.LoadMask(Path.Combine(_dir, "missing.png")));
    }

    [Fact]
    public void CocoRleKnownExample()
    {
        // Column-major: column 0 = 1,1; column 1 = 0,1; column 2 = 0,0 -> runs 0,2,1,1,2.
        var m = Ascii.Parse("#..", "##.");
        Assert.Equal(new uint[] { 0, 2, 1, 1, 2 }, CocoRle.Encode(m));
        Assert.Equal("021O1", CocoRle.CompressCounts(CocoRle.Encode(m)));
        Assert.Equal("{\"size\":[2,3],\"counts\":[0,2,1,1,2]}", CocoRle.ToJson(m, compressed: false));
        Assert.Equal("{\"size\":[2,3],\"counts\":\"021O1\"}", CocoRle.ToJson(m));
        Assert.Equal("T3", CocoRle.CompressCounts(new uint[] { 100 }));
        Assert.Equal(new uint[] { 100, 5, 7, 3 }, CocoRle.DecompressCounts(CocoRle.CompressCounts(new uint[] { 100, 5, 7, 3 })));
    }

    [Theory]
    [InlineData(1, 1, 0.5)]
    [InlineData(17, 9, 0.5)]
    [InlineData(64, 33, 0.02)]
    [InlineData(40, 40, 0.98)]
    public void CocoRleRoundTripsBothForms(int w, int h, double density)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var m = Ascii.Random(w, h, density, seed);
            Assert.Equal(m.Data, CocoRle.FromJson(CocoRle.ToJson(m, true)).Data);
            Assert.Equal(m.Data, CocoRle.FromJson(CocoRle.ToJson(m, false)).Data);
        }
        var disk = Ascii.Disk(300, 200, 150, 100, 90); // long runs exercise multi-digit deltas
        Assert.Equal(disk.Data, CocoRle.FromJson(CocoRle.ToJson(disk)).Data);
        string p = Path.Combine(_dir, "m.json");
        CocoRle.Save(disk, p);
        Assert.Equal(disk.Data, CocoRle.Load(p).Data);
    }

    [Fact]
    public void CocoRleBadInput()
    {
        Assert.Contains("sum", Assert.Throws<SegInputException>(() => CocoRle.FromJson("{\"size\":[2,3],\"counts\":[0,2,1]}")).Message);
        Assert.Throws<SegInputException>(() => CocoRle.FromJson("{\"size\":[2,3],\"counts\":\"0~\"}"));
        Assert.Throws<SegInputException>(() => CocoRle.FromJson("{\"size\":[2],\"counts\":[]}"));
        Assert.Throws<SegInputException>(() => CocoRle.FromJson("not json"));
    }
}

using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using SegPlugins.Core.Effects.MagicSelect;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.IO;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Limits;

/// <summary>
/// Every limit that stops a resource attack before work starts: small files that declare huge sizes are refused
/// from their headers, with a message naming the file, the declared size and the limit, and without allocating
/// anything near the declared size (measured with the thread's allocation counter, a deterministic bound).
/// </summary>
public class ResourceLimitTests
{
    /// <summary>Far below any of the refused sizes (hundreds of MB to GB), far above parsing a header.</summary>
    private const long SmallAllocation = 2 << 20;

    private static (T Exception, long Allocated) Refused<T>(Action load) where T : Exception
    {
        Assert.Throws<T>(load); // warm-up: JIT and the decoders' static set-up are not what is measured
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<T>(load);
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // ---- crafted headers ----------------------------------------------------------------------------------------

    internal static byte[] NpyDeclaring(string shape)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        header += new string(' ', (64 - (10 + header.Length + 1) % 64) % 64) + "\n";
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, (byte)(header.Length >> 8)]);
        ms.Write(Encoding.ASCII.GetBytes(header));
        ms.Write(new byte[16]); // four floats: far fewer than the shape asks for
        return ms.ToArray();
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    // ---- images -------------------------------------------------------------------------------------------------

    [Fact]
    public void PngDeclaringAHugeImage_IsRefusedFromItsHeader()
    {
        using var dir = new TempDir();
        string path = dir.File("bomb.png");
        File.WriteAllBytes(path, CraftedHeaders.PngDeclaring(30000, 30000));
        Assert.True(new FileInfo(path).Length < 100);
        var (e, allocated) = Refused<SegInputException>(() => ImageIO.Load(path));
        Assert.Equal($"{path}: image is 30000x30000 = 900 MP, over the limit of 100 MP (ImageLoadOptions.MaxPixels)", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    [Fact]
    public void JpegDeclaringAHugeImageInItsStartOfFrame_IsRefusedFromItsHeader()
    {
        using var dir = new TempDir();
        string path = dir.File("bomb.jpg");
        File.WriteAllBytes(path, CraftedHeaders.JpegDeclaring(60000, 60000));
        var (e, allocated) = Refused<SegInputException>(() => ImageIO.Load(path));
        Assert.Equal($"{path}: image is 60000x60000 = 3600 MP, over the limit of 100 MP (ImageLoadOptions.MaxPixels)", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);

        // A side over the dimension limit is named as such, even when the area would pass.
        var narrow = Assert.Throws<SegInputException>(() => ImageIO.Load(path, new ImageLoadOptions { MaxDimension = 50000, MaxPixels = long.MaxValue }));
        Assert.Equal($"{path}: image is 60000x60000; the largest side accepted is 50000 px", narrow.Message);
    }

    [Fact]
    public void BmpDeclaringAHugeImage_IsRefusedFromItsHeader()
    {
        using var dir = new TempDir();
        string path = dir.File("bomb.bmp");
        File.WriteAllBytes(path, CraftedHeaders.BmpDeclaring(50000, 40000));
        var (e, allocated) = Refused<SegInputException>(() => ImageIO.Load(path));
        Assert.Equal($"{path}: image is 50000x40000 = 2000 MP, over the limit of 100 MP (ImageLoadOptions.MaxPixels)", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    [Fact]
    public void ImageLimit_NamesTheSettingThatChoseIt()
    {
        var options = new ImageLoadOptions { MaxPixels = 100_000, LimitName = "--max-megapixels" };
        string path = TestPaths.Sample("chelsea.png");
        var e = Assert.Throws<SegInputException>(() => ImageIO.Load(path, options));
        Assert.Equal($"{path}: image is 451x300 = 0.14 MP, over the limit of 0.1 MP (--max-megapixels)", e.Message);
        Assert.Equal(451, ImageIO.Load(path, options with { MaxPixels = 451 * 300 }).Width); // the bound itself is allowed
    }

    [Fact]
    public void MaskPngDeclaringAHugeMask_IsRefusedFromItsHeader()
    {
        using var dir = new TempDir();
        string path = dir.File("mask.png");
        File.WriteAllBytes(path, CraftedHeaders.PngDeclaring(20000, 20000));
        var (e, allocated) = Refused<SegInputException>(() => MaskPng.LoadMask(path));
        Assert.Equal($"{path}: is 20000x20000 = 400 MP, over the limit of 100 MP", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    // ---- .npy ---------------------------------------------------------------------------------------------------

    [Fact]
    public void NpyWithAShapeOverTheElementLimit_IsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("huge.npy");
        File.WriteAllBytes(path, NpyDeclaring("(100000, 100000)"));
        var (e, allocated) = Refused<SegInputException>(() => NpyFile.Load(path));
        Assert.Equal($"{path}: .npy shape (100000, 100000) is out of range (1..100000000 elements)", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    [Fact]
    public void NpyDeclaringMoreDataThanItHolds_IsRefusedBeforeTheArrayIsAllocated()
    {
        // 10000 x 10000 floats is within the element limit (400 MB) but the file is 144 bytes long.
        using var dir = new TempDir();
        string path = dir.File("short.npy");
        File.WriteAllBytes(path, NpyDeclaring("(10000, 10000)"));
        var (e, allocated) = Refused<SegInputException>(() => NpyFile.Load(path));
        Assert.Equal($"{path}: .npy data is truncated; shape (10000, 10000) needs 400000000 bytes but the file holds 16", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    // ---- JSON ---------------------------------------------------------------------------------------------------

    [Fact]
    public void RleJsonNestedTooDeep_IsRefused()
    {
        var e = Assert.Throws<SegInputException>(() => CocoRle.FromJson("{\"size\":" + Nested(200) + "}", "deep.rle.json"));
        Assert.StartsWith("deep.rle.json: not valid JSON or nested deeper than 8 levels: ", e.Message);
        Assert.Contains("depth", e.Message);
    }

    [Fact]
    public void PolygonJsonNestedTooDeep_IsRefused()
    {
        var e = Assert.Throws<SegInputException>(() => MaskPolygons.FromJson("{\"width\":4,\"height\":4,\"polygons\":" + Nested(100) + "}", "deep.poly.json"));
        Assert.StartsWith("deep.poly.json: not valid JSON or nested deeper than 16 levels: ", e.Message);
        // Real documents (rings of pairs inside holes inside polygons) stay well inside the limit.
        var ok = MaskPolygons.FromJson("{\"width\":4,\"height\":4,\"polygons\":[{\"outer\":[[0,0],[4,0],[4,4],[0,4]],\"holes\":[[[1,1],[2,1],[2,2]]]}]}");
        Assert.Single(ok.Polygons);
    }

    [Fact]
    public void ModelManifestNestedTooDeep_IsRefused()
    {
        // Unknown properties are skipped, but the reader still counts their depth.
        var json = Encoding.UTF8.GetBytes("{\"notes\":" + Nested(40) + "}");
        var e = Assert.Throws<SegInputException>(() => ModelManifest.Parse(json, "deep-models.json"));
        Assert.StartsWith("deep-models.json: model manifest is not valid JSON (", e.Message);
        Assert.Contains("depth", e.Message);
    }

    [Fact]
    public void ModelManifestOverItsSize_IsRefusedUnparsed()
    {
        using var dir = new TempDir();
        string path = dir.File("models.json");
        using (var f = File.Create(path)) f.SetLength(ModelManifest.MaxBytes + 1L);
        var e = Assert.Throws<SegInputException>(() => ModelManifest.Load(path));
        Assert.Equal($"{path}: model manifest is 1048577 bytes; the limit is 1048576", e.Message);
        var inMemory = Assert.Throws<SegInputException>(() => ModelManifest.Parse(new byte[ModelManifest.MaxBytes + 1], "big.json"));
        Assert.Equal("big.json: model manifest is 1048577 bytes; the limit is 1048576", inMemory.Message);
    }

    [Fact]
    public void TextInputOverItsSize_IsRefusedUnread()
    {
        // A sparse file: 64 MB long on paper, nothing on disk.
        using var dir = new TempDir();
        string path = dir.File("big.rle.json");
        using (var f = File.Create(path)) f.SetLength(TextFile.DefaultMaxBytes + 1);
        var (e, allocated) = Refused<SegInputException>(() => CocoRle.Load(path));
        Assert.Equal($"{path}: is 67,108,865 bytes; the limit for this kind of file is 67,108,864", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);

        File.WriteAllText(path, "{\"size\":[2,2],\"counts\":[1,2,1]}");
        Assert.Equal(31, TextFile.Read(path, 31).Length); // exactly at the bound is read
        var small = Assert.Throws<SegInputException>(() => TextFile.Read(path, 16));
        Assert.Equal($"{path}: is 31 bytes; the limit for this kind of file is 16", small.Message);
    }

    [Fact]
    public void RleDeclaringAHugeMask_IsRefusedBeforeTheMaskIsAllocated()
    {
        // 38 bytes that would decode to a 2.5 GB mask: one unselected run covering 50000 x 50000 pixels.
        const string json = "{\"size\":[50000,50000],\"counts\":[2500000000]}";
        var (e, allocated) = Refused<SegInputException>(() => CocoRle.FromJson(json, "bomb.rle.json"));
        Assert.Equal("bomb.rle.json: declares a 50000x50000 mask = 2500 MP, over the limit of 100 MP", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
        // The limit is a parameter; an ordinary mask passes.
        Assert.Equal(4, CocoRle.FromJson("{\"size\":[2,2],\"counts\":[1,2,1]}").Data.Length);
        Assert.Throws<SegInputException>(() => CocoRle.FromJson("{\"size\":[2000,2000],\"counts\":[4000000]}", "m", maxMegapixels: 1));
    }

    [Fact]
    public void PolygonsDeclaringAHugeCanvas_AreRefusedBeforeRasterising()
    {
        const string json = "{\"width\":40000,\"height\":40000,\"polygons\":[{\"outer\":[[0,0],[40000,0],[40000,40000]]}]}";
        var (e, allocated) = Refused<SegInputException>(() => MaskPolygons.FromJson(json, "bomb.poly.json"));
        Assert.Equal("bomb.poly.json: declares a 40000x40000 canvas = 1600 MP, over the limit of 100 MP", e.Message);
        Assert.InRange(allocated, 0, SmallAllocation);
    }

    // ---- the effect ---------------------------------------------------------------------------------------------

    private sealed class NoModels : ISamModelProvider
    {
        public int Calls;
        public SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken)
        {
            Calls++;
            throw new SegModelException("test", "no model in this test");
        }
    }

    [Fact]
    public void EffectCanvasOverTheLimit_GetsOneMessageAndTheSourceUnchanged()
    {
        var models = new NoModels();
        var renderer = new MagicSelectRenderer(models) { MaxPixels = 10_000, ShowProblemOverlay = true };
        var source = new BgraImage(200, 100);
        source.Pixels.AsSpan().Fill(77);
        var status = renderer.Prepare(MagicSelectSettings.Default, MagicSelectInput.WholeImage(source));
        Assert.Equal(EffectStatusKind.Error, status.Kind);
        Assert.Equal("The image is 200x100 = 0.02 MP; Magic Select works on images up to 0.01 MP. Crop or resize a copy of the image and select there.", status.Message);
        Assert.Equal(0, models.Calls);
        Assert.Same(source, renderer.Output); // not hatched, not copied

        // Hosts check before copying the canvas; the default bound is the loader's 100 MP.
        Assert.Null(MagicSelectRenderer.CheckCanvasSize(10_000, 10_000));
        var refusal = MagicSelectRenderer.CheckCanvasSize(20_000, 20_000);
        Assert.Equal("The image is 20000x20000 = 400 MP; Magic Select works on images up to 100 MP. Crop or resize a copy of the image and select there.", refusal!.Message);
    }
}

using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using SegPlugins.Core.Evaluation;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Tests.Evaluation;

/// <summary>Builds small datasets in a temporary folder.</summary>
internal sealed class TempDataset : IDisposable
{
    public TempDataset()
    {
        Root = Path.Combine(Path.GetTempPath(), "segplug-eval-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "images"));
        Directory.CreateDirectory(Path.Combine(Root, "gt"));
    }

    public string Root { get; }

    /// <summary>Adds an image with a grey gradient and a ground truth with an object rectangle and a 128 ring around it.</summary>
    public void Add(string name, int w, int h, int x0, int y0, int x1, int y1, string imageExt = ".png", string gtExt = ".png", int? gtWidth = null, int? gtHeight = null)
    {
        using (var img = new Image<Rgb24>(w, h))
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    bool inside = x >= x0 && x <= x1 && y >= y0 && y <= y1;
                    img[x, y] = inside ? new Rgb24(200, 40, 40) : new Rgb24((byte)(x * 3), (byte)(y * 3), 90);
                }
            img.Save(Path.Combine(Root, "images", name + imageExt));
        }
        int gw = gtWidth ?? w, gh = gtHeight ?? h;
        using var gt = new Image<L8>(gw, gh);
        for (int y = 0; y < gh; y++)
            for (int x = 0; x < gw; x++)
            {
                bool inside = x >= x0 && x <= x1 && y >= y0 && y <= y1;
                bool ring = x >= x0 - 1 && x <= x1 + 1 && y >= y0 - 1 && y <= y1 + 1;
                gt[x, y] = new L8(inside ? (byte)255 : ring ? (byte)128 : (byte)0);
            }
        gt.Save(Path.Combine(Root, "gt", name + gtExt));
    }

    public void WriteBoxes(params string[] rows) =>
        File.WriteAllLines(Path.Combine(Root, SegmentationDataset.BoxesFile),
            ["name,image,width,height,box_x0,box_y0,box_x1,box_y1,gt_fg_px,gt_unknown_px,gt_bbox_x0,gt_bbox_y0,gt_bbox_x1,gt_bbox_y1", .. rows]);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public class DatasetTests
{
    [Fact]
    public void WithoutBoxesUsesTightBoxOfGroundTruth()
    {
        using var d = new TempDataset();
        d.Add("b", 40, 30, 10, 5, 19, 24);
        d.Add("a", 20, 20, 2, 3, 6, 9, gtExt: ".bmp");
        var ds = SegmentationDataset.Open(d.Root);
        Assert.False(ds.HasBoxes);
        Assert.Equal(["a", "b"], ds.Entries.Select(e => e.Name));
        var s = ds.Load(1);
        Assert.Equal((40, 30), (s.Image.Width, s.Image.Height));
        Assert.Equal(new BoxXyxy(10, 5, 19, 24), s.TightBox);
        Assert.Equal(s.TightBox, s.DatasetBox);
        Assert.Equal(10 * 20, s.GroundTruth.ObjectPixels);
        Assert.Equal(12 * 22 - 10 * 20, s.GroundTruth.IgnorePixels);
        // Pixels come through in BGRA order.
        var px = s.Image.Row(10).Slice(12 * 4, 4).ToArray();
        Assert.Equal(new byte[] { 40, 40, 200, 255 }, px);
    }

    [Fact]
    public void BoxesCsvGivesTheBenchmarkBox()
    {
        using var d = new TempDataset();
        d.Add("x1", 40, 30, 10, 5, 19, 24, imageExt: ".jpg");
        d.WriteBoxes("x1,x1.jpg,40,30,8,3,22,27,200,64,10,5,19,24");
        var ds = SegmentationDataset.Open(d.Root);
        Assert.True(ds.HasBoxes);
        var s = ds.Load(0);
        Assert.Equal(new BoxXyxy(8, 3, 22, 27), s.DatasetBox);
        Assert.Equal(new BoxXyxy(10, 5, 19, 24), s.TightBox);
    }

    [Fact]
    public void MissingGroundTruthIsNamed()
    {
        using var d = new TempDataset();
        d.Add("ok", 20, 20, 2, 2, 8, 8);
        File.Copy(Path.Combine(d.Root, "images", "ok.png"), Path.Combine(d.Root, "images", "lost.png"));
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root));
        Assert.Contains("lost", e.Message);
        Assert.Contains("gt/lost.bmp", e.Message);
    }

    [Fact]
    public void SizeMismatchIsNamed()
    {
        using var d = new TempDataset();
        d.Add("m", 20, 20, 2, 2, 8, 8, gtWidth: 21);
        var ds = SegmentationDataset.Open(d.Root);
        var e = Assert.Throws<SegInputException>(() => ds.Load(0));
        Assert.Contains("21x20", e.Message);
        Assert.Contains("20x20", e.Message);
    }

    [Fact]
    public void CsvSizeMismatchIsNamed()
    {
        using var d = new TempDataset();
        d.Add("m", 20, 20, 2, 2, 8, 8);
        d.WriteBoxes("m,m.png,30,20,1,1,9,9,0,0,2,2,8,8");
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root).Load(0));
        Assert.Contains("30x20", e.Message);
    }

    [Theory]
    [InlineData("m,m.png,20,20,1,1,nine,9,0,0,2,2,8,8", "box_x1 'nine'")]
    [InlineData("m,m.png,20,20,1,1,9", "has 7 fields")]
    [InlineData("m,m.png,20,20,9,1,1,9,0,0,2,2,8,8", "not a valid rectangle")]
    [InlineData("m,other.png,20,20,1,1,9,9,0,0,2,2,8,8", "images/other.png not found")]
    [InlineData("zz,,20,20,1,1,9,9,0,0,2,2,8,8", "no image images/zz")]
    [InlineData("n,n.png,20,20,1,1,9,9,0,0,2,2,8,8", "listed twice")]
    public void BadCsvRowsNameFileAndLine(string row, string expected)
    {
        using var d = new TempDataset();
        d.Add("m", 20, 20, 2, 2, 8, 8);
        d.Add("n", 20, 20, 2, 2, 8, 8);
        d.WriteBoxes("n,n.png,20,20,1,1,9,9,0,0,2,2,8,8", row);
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root));
        Assert.Contains("boxes.csv:3", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BoxOutsideTheImageIsRejectedOnLoad()
    {
        using var d = new TempDataset();
        d.Add("m", 20, 20, 2, 2, 8, 8);
        d.WriteBoxes("m,m.png,20,20,1,1,20,9,0,0,2,2,8,8");
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root).Load(0));
        Assert.Contains("outside", e.Message);
    }

    [Fact]
    public void HeaderWithoutBoxColumnsIsRejected()
    {
        using var d = new TempDataset();
        d.Add("m", 20, 20, 2, 2, 8, 8);
        File.WriteAllText(Path.Combine(d.Root, "boxes.csv"), "name,image\nm,m.png\n");
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root));
        Assert.Contains("box_x0", e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void MissingFoldersAreNamed()
    {
        var dir = Path.Combine(Path.GetTempPath(), "segplug-none-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<SegInputException>(() => SegmentationDataset.Open(dir));
        Directory.CreateDirectory(dir);
        try
        {
            var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(dir));
            Assert.Contains("images", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void GroundTruthWithoutObjectIsRejectedOnLoad()
    {
        using var d = new TempDataset();
        d.Add("e", 20, 20, 30, 30, 31, 31); // rectangle outside the image: no object pixel
        var e = Assert.Throws<SegInputException>(() => SegmentationDataset.Open(d.Root).Load(0));
        Assert.Contains("no object pixel", e.Message);
    }
}

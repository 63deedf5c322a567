using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary><c>segplug mask ...</c> and <c>segplug cutout</c> on small masks whose answers are worked out by hand.</summary>
public class MaskCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>A mask from rows of '#' (selected) and '.'.</summary>
    private static Mask Art(params string[] rows)
    {
        var m = new Mask(rows[0].Length, rows.Length);
        for (int y = 0; y < rows.Length; y++)
            for (int x = 0; x < rows[y].Length; x++)
                if (rows[y][x] == '#') m.Data[y * m.Width + x] = Mask.On;
        return m;
    }

    private static string[] ArtOf(Mask m) =>
        Enumerable.Range(0, m.Height).Select(y => new string(Enumerable.Range(0, m.Width).Select(x => m[x, y] ? '#' : '.').ToArray())).ToArray();

    private static string Save(CliTemp t, string name, Mask m)
    {
        MaskPng.Save(m, t.F(name));
        return t.F(name);
    }

    private static string[] Edit(CliTemp t, Mask input, params string[] verbAndOptions)
    {
        string inPath = Save(t, "in.png", input);
        var (code, stdout, stderr) = Run(["mask", verbAndOptions[0], inPath, .. verbAndOptions[1..], "--out", t.F("out.png")]);
        Assert.True(code == 0, stderr);
        Assert.Contains("-> " + t.F("out.png"), stdout);
        return ArtOf(MaskPng.LoadMask(t.F("out.png")));
    }

    private static readonly string[] Dot =
    [
        ".......",
        ".......",
        ".......",
        "...#...",
        ".......",
        ".......",
        ".......",
    ];

    [Fact]
    public void GrowIsEuclidean()
    {
        using var t = new CliTemp();
        // Radius 2: every pixel with dx² + dy² <= 4 around the dot (13 pixels).
        Assert.Equal(
        [
            ".......",
            "...#...",
            "..###..",
            ".#####.",
            "..###..",
            "...#...",
            ".......",
        ], Edit(t, Art(Dot), "grow", "--px", "2"));
    }

    [Fact]
    public void ShrinkKeepsWhatIsDeepEnough()
    {
        using var t = new CliTemp();
        Assert.Equal(Dot, Edit(t, Art(
            ".......",
            ".......",
            "..###..",
            "..###..",
            "..###..",
            ".......",
            "......."), "shrink", "--px", "1"));
    }

    [Fact]
    public void FillHolesUpToAnArea()
    {
        using var t = new CliTemp();
        var ring = Art(
            "#######",
            "#.....#",
            "#.....#",
            "#.....#",
            "#######",
            "###.###",
            "#######");
        // The 1-pixel hole is filled at --area 1; the 15-pixel one needs --area 15 or more (or no --area: every hole).
        Assert.Equal(
        [
            "#######",
            "#.....#",
            "#.....#",
            "#.....#",
            "#######",
            "#######",
            "#######",
        ], Edit(t, ring, "fill-holes", "--area", "14"));
        Assert.All(Edit(t, ring, "fill-holes"), row => Assert.Equal("#######", row));
    }

    [Fact]
    public void RemoveIslandsKeepLargestAndInvert()
    {
        using var t = new CliTemp();
        var blobs = Art(
            "#.....#",
            "......#",
            ".###...",
            ".###...",
            ".......");
        // Regions smaller than --area go: the lone corner pixel; the 2-pixel and 6-pixel regions stay.
        Assert.Equal(
        [
            "......#",
            "......#",
            ".###...",
            ".###...",
            ".......",
        ], Edit(t, blobs, "remove-islands", "--area", "2"));
        Assert.Equal(
        [
            ".......",
            ".......",
            ".###...",
            ".###...",
            ".......",
        ], Edit(t, blobs, "keep-largest"));
        Assert.Equal(
        [
            ".#####.",
            "######.",
            "#...###",
            "#...###",
            "#######",
        ], Edit(t, blobs, "invert"));
    }

    [Fact]
    public void FeatherAndSmoothWriteTheEnginesAnswer()
    {
        using var t = new CliTemp();
        var square = Art(
            "........",
            "..####..",
            "..####..",
            "..####..",
            "..####..",
            "........");
        string inPath = Save(t, "sq.png", square);
        Assert.Equal(0, Run("mask", "feather", inPath, "--px", "2", "--out", t.F("f.png")).Code);
        var soft = MaskPng.LoadSoftMask(t.F("f.png"));
        Assert.Equal(square.Feather(2f).Data, soft.Data);
        Assert.Contains(soft.Data, v => v is > 0 and < 255); // soft values survive the PNG
        Assert.Equal(0, Run("mask", "feather", inPath, "--px", "2", "--mode", "gaussian", "--out", t.F("g.png")).Code);
        Assert.Equal(square.Feather(2f, FeatherMode.Gaussian).Data, MaskPng.LoadSoftMask(t.F("g.png")).Data);
        Assert.Equal(0, Run("mask", "smooth", inPath, "--px", "1", "--out", t.F("s.png")).Code);
        Assert.Equal(square.Smooth(1f).Data, MaskPng.LoadMask(t.F("s.png")).Data);
    }

    [Fact]
    public void CombineByEachOperation()
    {
        using var t = new CliTemp();
        string a = Save(t, "a.png", Art("##..", "##.."));
        string b = Save(t, "b.png", Art(".##.", ".##."));
        string[] Op(string op)
        {
            var (code, _, err) = Run("mask", "combine", a, b, "--op", op, "--out", t.F(op + ".png"));
            Assert.True(code == 0, err);
            return ArtOf(MaskPng.LoadMask(t.F(op + ".png")));
        }
        Assert.Equal(["###.", "###."], Op("union"));
        Assert.Equal(["#...", "#..."], Op("subtract"));
        Assert.Equal([".#..", ".#.."], Op("intersect"));
        Assert.Equal(["#.#.", "#.#."], Op("xor"));

        string c = Save(t, "c.png", Art("###", "###"));
        var (bad, _, err) = Run("mask", "combine", a, c, "--op", "union", "--out", t.F("x.png"));
        Assert.Equal(2, bad);
        Assert.Contains("must have the same size", err);
        Assert.False(File.Exists(t.F("x.png")));
    }

    [Fact]
    public void RleAndPolygonFilesInAndOut()
    {
        using var t = new CliTemp();
        var dot = Art(Dot);
        CocoRle.Save(dot, t.F("dot.json"));
        var (code, _, err) = Run("mask", "grow", t.F("dot.json"), "--px", "1", "--out", t.F("plus.json"));
        Assert.True(code == 0, err);
        var plus = CocoRle.Load(t.F("plus.json"));
        Assert.Equal(dot.Grow(1).Data, plus.Data);
        Assert.Equal(0, Run("mask", "invert", t.F("plus.json"), "--out", t.F("inv.svg")).Code);
        Assert.Contains("fill-rule=\"evenodd\"", File.ReadAllText(t.F("inv.svg")));

        // A feathered mask has no exact RLE: refused with the reason, nothing written.
        var (soft, _, softErr) = Run("mask", "feather", t.F("dot.json"), "--px", "2", "--out", t.F("soft.json"));
        Assert.Equal(2, soft);
        Assert.Contains("write it as .png", softErr);
        Assert.False(File.Exists(t.F("soft.json")));
    }

    [Theory]
    [InlineData("error: Option '--px' is required.", "grow")]
    [InlineData("error: --px: '-1' is not a whole number from 0 to 4096", "grow", "--px", "-1")]
    [InlineData("error: Option '--area' is required.", "remove-islands")]
    [InlineData("error: --area: '0' is not a whole number of pixels, 1 or more", "fill-holes", "--area", "0")]
    [InlineData("error: --mode: 'box' is not one of distance, gaussian", "feather", "--px", "2", "--mode", "box")]
    public void BadOptionsAreUsageErrors(string message, params string[] verbAndOptions)
    {
        using var t = new CliTemp();
        string inPath = Save(t, "in.png", Art(Dot));
        var (code, _, err) = Run(["mask", verbAndOptions[0], inPath, .. verbAndOptions[1..], "--out", t.F("out.png")]);
        Assert.Equal(2, code);
        Assert.StartsWith(message, err);
        Assert.Contains($"segplug mask {verbAndOptions[0]} <IN> [options]", err.Replace("testhost", "segplug"));
        Assert.False(File.Exists(t.F("out.png")));
    }

    [Fact]
    public void OutputNeverOverwritesTheInput()
    {
        using var t = new CliTemp();
        string inPath = Save(t, "in.png", Art(Dot));
        var before = File.ReadAllBytes(inPath);
        var (code, _, err) = Run("mask", "grow", inPath, "--px", "1", "--out", inPath);
        Assert.Equal(2, code);
        Assert.Contains("outputs never overwrite an input", err);
        Assert.Equal(before, File.ReadAllBytes(inPath));
    }

    [Fact]
    public void CutoutOntoTransparencyAndColour()
    {
        using var t = new CliTemp();
        var img = new BgraImage(3, 1);
        for (int x = 0; x < 3; x++) new byte[] { (byte)(10 * x), 20, 30, 255 }.CopyTo(img.Row(0).Slice(4 * x, 4));
        ImageIO.SavePng(img, t.F("img.png"));
        string mask = Save(t, "m.png", Art("#.#"));

        var (c1, _, e1) = Run("cutout", "--image", t.F("img.png"), "--mask", mask, "--out", t.F("cut.png"));
        Assert.True(c1 == 0, e1);
        var cut = ImageIO.Load(t.F("cut.png")).Row(0).ToArray();
        // Selected pixels keep their colour, opaque; the unselected one is fully transparent.
        Assert.Equal(new byte[] { 0, 20, 30, 255 }, cut[0..4]);
        Assert.Equal(0, cut[7]);
        Assert.Equal(new byte[] { 20, 20, 30, 255 }, cut[8..12]);

        // Over red (BGRA 0,0,255,255): the unselected pixel becomes exactly the background.
        var (c2, _, e2) = Run("cutout", "--image", t.F("img.png"), "--mask", mask, "--background", "color:#ff0000", "--out", t.F("red.png"));
        Assert.True(c2 == 0, e2);
        Assert.Equal(new byte[] { 0, 20, 30, 255, 0, 0, 255, 255, 20, 20, 30, 255 }, ImageIO.Load(t.F("red.png")).Row(0).ToArray());

        var (c3, _, e3) = Run("cutout", "--image", t.F("img.png"), "--mask", mask, "--background", "colour:#zzz", "--out", t.F("bad.png"));
        Assert.Equal(2, c3);
        Assert.Contains("--background: color needs #RRGGBB or #RRGGBBAA, got \"#zzz\"", e3);
        Assert.False(File.Exists(t.F("bad.png")));
    }
}

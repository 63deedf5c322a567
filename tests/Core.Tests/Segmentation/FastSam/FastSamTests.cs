using System.Text.Json;
using Xunit;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.FastSam;
using SegPlugins.Core.Segmentation.FastSam.Internal;
using SegPlugins.Core.Tests.Fixtures;
using SegPlugins.Core.Tests.Masks;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation.FastSam;

/// <summary>FastSAM decoding and prompt rules against the fixture model and its independent numpy reference.</summary>
public class FastSamTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("models", "expected_fastsam.json"))).RootElement;
    private static string ModelPath => TestPaths.Fixture("models", "fastsam_tiny.onnx");
    private static BgraImage Source => ImageIO.Load(TestPaths.Fixture(Expected.GetProperty("source_image").GetString()!));

    internal static FastSamSession OpenWithImage(BgraImage? image = null)
    {
        var s = FastSamSession.Open(ModelPath, new EngineOptions { Device = ExecutionDevice.Cpu });
        s.SetImage(image ?? Source);
        return s;
    }

    private static float[] F(JsonElement a) => a.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    [Fact]
    public void InputSizeComesFromTheModelMetadata()
    {
        using var s = FastSamSession.Open(ModelPath);
        Assert.Equal(64, s.InputSize);
        var e = Assert.Throws<SegArgumentException>(() => FastSamSession.Open(ModelPath, null, new FastSamOptions { InputSize = 1024 }));
        Assert.Contains("1024", e.Message);
        Assert.Throws<SegArgumentException>(() => new FastSamOptions { InputSize = 100 });
        Assert.Throws<SegArgumentException>(() => new FastSamOptions { ConfidenceThreshold = 1.5f });
        Assert.Throws<SegArgumentException>(() => new FastSamOptions { TextMinArea = -1 });
    }

    [Fact]
    public void LetterboxMatchesReference()
    {
        var lb = Letterbox.For(96, 48, 64);
        var r = Expected.GetProperty("letterbox");
        Assert.Equal(r.GetProperty("gain").GetDouble(), lb.Gain, 12);
        Assert.Equal(r.GetProperty("new_width").GetInt32(), lb.NewWidth);
        Assert.Equal(r.GetProperty("new_height").GetInt32(), lb.NewHeight);
        Assert.Equal(r.GetProperty("pad_left").GetInt32(), lb.PadLeft);
        Assert.Equal(r.GetProperty("pad_top").GetInt32(), lb.PadTop);
        Assert.Equal(r.GetProperty("pad_right").GetInt32(), lb.PadRight);
        Assert.Equal(r.GetProperty("pad_bottom").GetInt32(), lb.PadBottom);
        // Odd padding: the extra pixel goes right/bottom.
        var odd = Letterbox.For(100, 33, 64);
        Assert.Equal(21, odd.NewHeight);
        Assert.Equal(21, odd.PadTop);
        Assert.Equal(22, odd.PadBottom);
        // The tensor: padding rows are 114/255, image rows are not (the source has no pixel of value 114 in every channel).
        var t = lb.ToTensor(Source);
        Assert.Equal(114f / 255f, t[0], 6);
        Assert.Equal(114f / 255f, t[2 * 64 * 64 + 63 * 64 + 63], 6);
    }

    [Fact]
    public void LetterboxResizeEqualsNaiveBilinear()
    {
        var rng = new Random(11);
        var img = new BgraImage(37, 23);
        rng.NextBytes(img.Pixels);
        foreach (int size in new[] { 32, 64 })
        {
            var lb = Letterbox.For(37, 23, size);
            var t = lb.ToTensor(img);
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int ix = x - lb.PadLeft, iy = y - lb.PadTop;
                        double want = 114 / 255.0;
                        if (ix >= 0 && iy >= 0 && ix < lb.NewWidth && iy < lb.NewHeight)
                        {
                            double sx = Math.Max(0, (ix + 0.5) * 37.0 / lb.NewWidth - 0.5), sy = Math.Max(0, (iy + 0.5) * 23.0 / lb.NewHeight - 0.5);
                            int x0 = Math.Min((int)sx, 36), y0 = Math.Min((int)sy, 22), x1 = Math.Min(x0 + 1, 36), y1 = Math.Min(y0 + 1, 22);
                            double fx = sx - x0, fy = sy - y0;
                            double V(int px, int py) => img.Row(py)[4 * px + 2 - c];
                            want = ((1 - fy) * ((1 - fx) * V(x0, y0) + fx * V(x1, y0)) + fy * ((1 - fx) * V(x0, y1) + fx * V(x1, y1))) / 255.0;
                        }
                        float got = t[(c * size + y) * size + x];
                        Assert.True(Math.Abs(got - want) < 1e-5, $"size {size} channel {c} ({x},{y}): {got} vs {want}");
                    }
        }
    }

    [Fact]
    public void DecodeMatchesReference_BoxesNmsAndMasks()
    {
        using var s = OpenWithImage();
        var r = s.Everything;
        var dets = Expected.GetProperty("detections").EnumerateArray().ToArray();
        // Three objects; the duplicates (anchors 6, 41, 78) and the low-confidence anchors are gone.
        Assert.Equal(dets.Length, r.Detections.Count);
        var masks = Npy.Load(TestPaths.Fixture(Expected.GetProperty("masks").GetString()!));
        var probs = Npy.Load(TestPaths.Fixture(Expected.GetProperty("mask_probabilities").GetString()!));
        int w = Expected.GetProperty("source_width").GetInt32(), h = Expected.GetProperty("source_height").GetInt32();
        Assert.Equal([3, h, w], masks.Shape);
        for (int i = 0; i < dets.Length; i++)
        {
            var d = r.Detections[i];
            Assert.Equal(dets[i].GetProperty("anchor").GetInt32(), d.Anchor);
            Assert.Equal((float)dets[i].GetProperty("confidence").GetDouble(), d.Confidence, 6);
            var bi = F(dets[i].GetProperty("box_input_xyxy"));
            Assert.Equal(bi, new[] { d.InputBox.X0, d.InputBox.Y0, d.InputBox.X1, d.InputBox.Y1 });
            var bs = F(dets[i].GetProperty("box_source_xyxy"));
            var got = new[] { d.Box.X0, d.Box.Y0, d.Box.X1, d.Box.Y1 };
            for (int k = 0; k < 4; k++) Assert.Equal(bs[k], got[k], 4);
            Assert.Equal(w, d.Mask.Width);
            Assert.Equal(h, d.Mask.Height);
            int diff = 0;
            for (int p = 0; p < w * h; p++)
                if ((d.Mask.Data[p] != 0) != (masks.Data[i * w * h + p] != 0)) diff++;
            Assert.True(diff == 0, $"mask {i}: {diff} pixels differ from the reference");
            var pr = FastSamSession.Probabilities(r, d);
            for (int p = 0; p < w * h; p++)
                Assert.True(Math.Abs(pr.Data[p] - probs.Data[i * w * h + p]) < 1e-4f, $"mask {i} probability at {p}: {pr.Data[p]} vs {probs.Data[i * w * h + p]}");
        }
    }

    [Fact]
    public void NmsDropsOnlyBoxesAboveTheThreshold()
    {
        var c = new List<Candidate>
        {
            new(0, 0.9f, 0, 0, 10, 10),
            new(1, 0.8f, 0, 0, 10, 9),    // IoU 0.9 exactly: kept (drop only above)
            new(2, 0.7f, 0, 0, 10, 9.5f), // IoU 0.95 with the first: dropped
            new(3, 0.6f, 20, 20, 30, 30),
        };
        var kept = FastSamDecode.Nms(c, 0.9f, 300);
        Assert.Equal([0, 1, 3], kept.Select(k => k.Anchor));
        Assert.Equal([0, 1], FastSamDecode.Nms(c, 0.9f, 2).Select(k => k.Anchor));
        Assert.Equal([0, 3], FastSamDecode.Nms(c, 0.5f, 300).Select(k => k.Anchor));
    }

    [Fact]
    public void CandidatesAreFilteredAndSortedStably()
    {
        // 4 anchors, 1 class, no coefficients: rows cx, cy, w, h, score.
        float[] head = [5, 5, 5, 5, 5, 5, 5, 5, 2, 2, 2, 2, 2, 2, 2, 2, 0.5f, 0.4f, 0.7f, 0.5f];
        var c = FastSamDecode.Candidates(head, 4, 1, 0.4f);
        Assert.Equal([2, 0, 3], c.Select(k => k.Anchor));
        Assert.Equal(4f, c[0].X0);
        Assert.Equal(6f, c[0].X1);
    }

    [Fact]
    public void MulAddVectorPathEqualsScalar()
    {
        var rng = new Random(3);
        foreach (int n in new[] { 1, 7, 8, 16, 33, 257 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var acc = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
            var want = (float[])acc.Clone();
            for (int i = 0; i < n; i++) want[i] += x[i] * 1.7f;
            FastSamDecode.MulAdd(x, 1.7f, acc);
            Assert.Equal(want, acc);
        }
    }

    [Fact]
    public void ProtoMaskEqualsNaiveSigmoidWithBoxCrop()
    {
        var rng = new Random(5);
        int nm = 5, pw = 13, ph = 11;
        var protos = Enumerable.Range(0, nm * pw * ph).Select(_ => (float)rng.NextDouble() * 4 - 2).ToArray();
        var coef = Enumerable.Range(0, nm).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
        var box = new Candidate(0, 1, 9.5f, 4.1f, 37.9f, 30f);
        float sx = pw / 52f, sy = ph / 44f;
        var got = new float[pw * ph];
        var cells = FastSamDecode.ProtoMask(coef, protos, pw, ph, sx, sy, box, got);
        // The bounded upsampling equals the full one.
        var lb = Letterbox.For(70, 40, 52);
        Assert.Equal(FastSamDecode.InputFrame(got, pw, ph, lb), FastSamDecode.InputFrame(got, pw, ph, lb, cells));
        for (int r = 0; r < ph; r++)
            for (int c = 0; c < pw; c++)
            {
                bool inside = c >= box.X0 * sx && c < box.X1 * sx && r >= box.Y0 * sy && r < box.Y1 * sy;
                double v = 0;
                for (int k = 0; k < nm; k++) v += coef[k] * protos[k * pw * ph + r * pw + c];
                double want = inside ? 1 / (1 + Math.Exp(-v)) : 0;
                Assert.True(Math.Abs(want - got[r * pw + c]) < 1e-5, $"cell ({r},{c}): {got[r * pw + c]} vs {want}");
            }
    }

    [Fact]
    public void BoxPromptPicksTheMaskWithHighestIoU()
    {
        using var s = OpenWithImage();
        var dets = s.Everything.Detections;
        for (int i = 0; i < dets.Count; i++)
        {
            var p = s.Predict(PromptSet.FromBox(dets[i].Box));
            Assert.Equal(dets[i].Mask.Data, p.Mask.Data);
            Assert.Equal(dets[i].Confidence, p.Score);
        }
        // A box over the right half holds most of object 1 and little of the others.
        var right = s.Predict(PromptSet.FromBox(new BoxXyxy(50, 0, 96, 32)));
        Assert.Equal(dets[1].Mask.Data, right.Mask.Data);
    }

    [Fact]
    public void PointPromptsSelectAndAreNeverAMaskInput()
    {
        using var s = OpenWithImage();
        var dets = s.Everything.Detections;
        var c1 = Centre(dets[1].Mask);
        var p = s.Predict(PromptSet.FromPoints(PointPrompt.Include(c1.X, c1.Y)));
        Assert.Equal(dets[1].Mask.Data, p.Mask.Data);
        var c0 = Centre(dets[0].Mask);
        var both = s.Predict(PromptSet.FromPoints(PointPrompt.Include(c0.X, c0.Y), PointPrompt.Include(c1.X, c1.Y)));
        Assert.Equal(dets[0].Mask.Union(dets[1].Mask).Data, both.Mask.Data);
        var minus = s.Predict(PromptSet.FromPoints(PointPrompt.Include(c0.X, c0.Y), PointPrompt.Include(c1.X, c1.Y), PointPrompt.Exclude(c1.X, c1.Y)));
        Assert.Equal(dets[0].Mask.Data, minus.Mask.Data);
        // A point on the background selects nothing.
        Assert.True(s.Predict(PromptSet.FromPoints(PointPrompt.Include(95, 0))).Mask.IsEmpty);
        var e = Assert.Throws<SegArgumentException>(() => s.Predict(new PromptSet { Points = [PointPrompt.Include(c1.X, c1.Y)], MaskInput = p.LowResLogits }));
        Assert.Contains("FastSAM", e.Message);
        // The low-res logits are the mask in SAM's 256 frame: the object's centre is inside.
        Assert.True(p.LowResLogits[(int)(c1.X * 1024 / 96 / 4), (int)(c1.Y * 1024 / 96 / 4)] > 0);
    }

    /// <summary>
    /// FastSAM's point rule on hand-made masks: A (large) holds B (small); C is apart. Masks are walked from
    /// largest to smallest and each point on a mask adds (positive) or clears (negative) that whole mask.
    /// </summary>
    [Fact]
    public void PointRuleWalksMasksFromLargestToSmallest()
    {
        var a = Ascii.Parse("######....", "######....", "######....", "######....", "..........");
        var b = Ascii.Parse("..........", ".##.......", ".##.......", "..........", "..........");
        var c = Ascii.Parse("..........", "........##", "........##", "..........", "..........");
        // Smallest first on purpose: the rule sorts by area itself.
        var dets = new List<FastSamDetection> { Det(b, 0.5f), Det(c, 0.6f), Det(a, 0.7f) };
        Mask Run(params PointPrompt[] pts)
        {
            var m = new Mask(10, 5);
            FastSamPrompts.WalkPoints(dets, pts, m, 10, 5);
            return m;
        }
        Assert.Equal(a.Data, Run(PointPrompt.Include(1.5f, 1.5f)).Data);          // on B (inside A): A comes first, B adds nothing new
        Assert.Equal(c.Data, Run(PointPrompt.Include(8.5f, 1.5f), PointPrompt.Exclude(1.5f, 1.5f)).Data);
        // A negative point on B also lies on A, so A is cleared right after it was added, then B is cleared.
        Assert.True(Run(PointPrompt.Include(4.5f, 0.5f), PointPrompt.Exclude(1.5f, 1.5f)).IsEmpty);
        Assert.Equal(a.Union(c).Data, Run(PointPrompt.Include(4.5f, 0.5f), PointPrompt.Include(9f, 2f)).Data);
    }

    private static FastSamDetection Det(Mask m, float conf) => new(0, conf, default, default, m, []);

    private static (float X, float Y) Centre(Mask m)
    {
        var b = m.BoundingBox()!.Value;
        int cx = b.X + b.Width / 2, cy = b.Y + b.Height / 2;
        Assert.True(m[cx, cy], "the bounding-box centre of the fixture object is inside it");
        return (cx + 0.5f, cy + 0.5f);
    }

    [Fact]
    public void WrongLayoutsAreNamedClearly()
    {
        using var s = FastSamSession.Open(ModelPath);
        var model = typeof(FastSamSession).GetField("_model", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(s) as FastSamModel;
        Assert.NotNull(model);
        var t = Assert.Throws<SegModelException>(() => model.CheckLayout([1, 84, 37], [1, 32, 16, 16]));
        Assert.Contains("output0", t.Message);
        Assert.Contains("[1,84,37]", t.Message);
        Assert.Contains("[1,37,A]", t.Message);
        Assert.Contains("transposed", t.Message);
        var p = Assert.Throws<SegModelException>(() => model.CheckLayout([1, 37, 84], [1, 16, 16]));
        Assert.Contains("output1", p.Message);
        var m = Assert.Throws<SegModelException>(() => model.CheckLayout([1, 40, 84], [1, 32, 16, 16]));
        Assert.Contains("[1,40,84]", m.Message);
        Assert.Equal((1, 32, 84), model.CheckLayout([1, 37, 84], [1, 32, 16, 16]));

        var io = Assert.Throws<SegModelException>(() => FastSamSession.Open(TestPaths.Fixture("models", "wrong_io.onnx")));
        Assert.Contains("bar [1,1000]", io.Message);
        Assert.Contains("output0 [1,4+nc+32,A]", io.Message);
        var dec = Assert.Throws<SegModelException>(() => FastSamSession.Open(TestPaths.Fixture("models", "sam_decoder_single.onnx")));
        Assert.Contains("images [1,3,S,S]", dec.Message);
    }

    [Fact]
    public void PredictWithoutImageIsAnError()
    {
        using var s = FastSamSession.Open(ModelPath);
        var e = Assert.Throws<SegArgumentException>(() => s.Predict(PromptSet.FromPoints(PointPrompt.Include(1, 1))));
        Assert.Contains("SetImage", e.Message);
    }
}

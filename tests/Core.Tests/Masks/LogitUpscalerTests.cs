using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class LogitUpscalerTests
{
    /// <summary>Textbook bilinear resize with half-pixel centres, in double precision.</summary>
    private static double[] Reference(float[] src, int sw, int sh, int dw, int dh)
    {
        var r = new double[dw * dh];
        for (int y = 0; y < dh; y++)
            for (int x = 0; x < dw; x++)
            {
                double sy = Math.Max(0, (y + 0.5) * sh / dh - 0.5), sx = Math.Max(0, (x + 0.5) * sw / dw - 0.5);
                int y0 = Math.Min((int)sy, sh - 1), x0 = Math.Min((int)sx, sw - 1);
                int y1 = Math.Min(y0 + 1, sh - 1), x1 = Math.Min(x0 + 1, sw - 1);
                double ly = sy - y0, lx = sx - x0;
                r[y * dw + x] = (1 - ly) * ((1 - lx) * src[y0 * sw + x0] + lx * src[y0 * sw + x1]) + ly * ((1 - lx) * src[y1 * sw + x0] + lx * src[y1 * sw + x1]);
            }
        return r;
    }

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 8 - 4);
        return a;
    }

    [Theory]
    [InlineData(1024, 683)]
    [InlineData(700, 1024)]
    [InlineData(1024, 1)]
    public void ModelFrameMatchesReferenceBilinear(int cw, int ch)
    {
        var low = Random(256 * 256, cw + ch);
        var frame = LogitUpscaler.ModelFrame(low, cw, ch);
        var full = Reference(low, 256, 256, 1024, 1024);
        for (int y = 0; y < ch; y += 7)
            for (int x = 0; x < cw; x += 5)
                Assert.Equal(full[y * 1024 + x], frame[y * cw + x], 1e-4);
    }

    [Theory]
    [InlineData(37, 23, 100, 61)]   // upscale
    [InlineData(100, 61, 37, 23)]   // downscale
    [InlineData(64, 64, 64, 64)]    // identity
    [InlineData(50, 1, 13, 1)]
    public void LogitsMatchReferenceAndMaskMatchesThresholdedLogits(int fw, int fh, int w, int h)
    {
        // Smooth fields with sign changes, plus noise: both the run-fill and the per-pixel paths get exercised.
        var rng = new Random(fw * 31 + w);
        var frame = new float[fw * fh];
        for (int y = 0; y < fh; y++)
            for (int x = 0; x < fw; x++)
                frame[y * fw + x] = (float)(Math.Sin(x * 0.3) + Math.Cos(y * 0.2) - 0.3 + rng.NextDouble() * 0.2);
        var logits = LogitUpscaler.Logits(frame, fw, fh, w, h);
        var reference = Reference(frame, fw, fh, w, h);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(reference[i], logits[i], 1e-4);
        foreach (float t in new[] { 0f, 0.5f, -0.25f })
        {
            var mask = LogitUpscaler.Mask(frame, fw, fh, w, h, t);
            for (int i = 0; i < mask.Length; i++) Assert.Equal(logits[i] > t ? 255 : 0, mask[i]);
        }
    }

    /// <summary>
    /// The plain form of the hard-mask path: the whole model frame, every output logit, then the threshold, with
    /// the float operations of the production code in scalar order (so the comparison can be exact).
    /// </summary>
    private static byte[] PlainMask(float[] frame, int fw, int fh, int w, int h, float t)
    {
        var mask = new byte[w * h];
        var row = new float[fw];
        for (int y = 0; y < h; y++)
        {
            var (y0, y1, wy) = Sample(fh, h, y);
            for (int x = 0; x < fw; x++) row[x] = wy == 0f ? frame[y0 * fw + x] : (1f - wy) * frame[y0 * fw + x] + wy * frame[y1 * fw + x];
            for (int x = 0; x < w; x++)
            {
                var (x0, x1, wx) = Sample(fw, w, x);
                float v = (1f - wx) * row[x0] + wx * row[x1];
                mask[y * w + x] = v > t ? (byte)255 : (byte)0;
            }
        }
        return mask;
    }

    private static float[] PlainModelFrame(float[] low, int cw, int ch)
    {
        var frame = new float[cw * ch];
        for (int y = 0; y < ch; y++)
        {
            var (y0, y1, wy) = Sample(256, 1024, y);
            for (int x = 0; x < cw; x++)
            {
                var (x0, x1, wx) = Sample(256, 1024, x);
                float a = (1f - wy) * low[y0 * 256 + x0] + wy * low[y1 * 256 + x0];
                float b = (1f - wy) * low[y0 * 256 + x1] + wy * low[y1 * 256 + x1];
                frame[y * cw + x] = (1f - wx) * a + wx * b;
            }
        }
        return frame;
    }

    /// <summary>Bilinear source pair and weight with half-pixel centres, in float as the production code computes it.</summary>
    private static (int I0, int I1, float W) Sample(int inSize, int outSize, int o)
    {
        float src = (float)inSize / outSize * (o + 0.5f) - 0.5f;
        if (src < 0) src = 0;
        int i0 = Math.Min((int)src, inSize - 1);
        return (i0, i0 < inSize - 1 ? i0 + 1 : i0, src - i0);
    }

    /// <summary>Low-res logits with a few blobs (some cut by the edges), runs on the top and left edges, a plateau exactly at 0.5 and at 0, and noise.</summary>
    private static float[] Blobs(int seed, int count, bool plateaus)
    {
        var rng = new Random(seed);
        var low = new float[256 * 256];
        low.AsSpan().Fill(-6f);
        for (int b = 0; b < count; b++)
        {
            double cx = rng.NextDouble() * 300 - 20, cy = rng.NextDouble() * 300 - 20, r = 3 + rng.NextDouble() * 60;
            for (int y = 0; y < 256; y++)
                for (int x = 0; x < 256; x++)
                {
                    double d = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
                    low[y * 256 + x] = Math.Max(low[y * 256 + x], (float)((r - d) * 0.4 + rng.NextDouble() * 0.3));
                }
        }
        // Along the top and left edges too, so that thin crops (a strip of the frame) see a selection.
        for (int x = 30; x < 60; x++) low[x] = 1.5f;
        for (int y = 40; y < 80; y++) low[y * 256] = 1.5f;
        if (plateaus)
            for (int y = 100; y < 140; y++)
                for (int x = 20; x < 90; x++) low[y * 256 + x] = x < 55 ? 0.5f : 0f;
        return low;
    }

    [Theory]
    [InlineData(1024, 768, 4000, 3000, 3)]  // 12 MP
    [InlineData(1024, 683, 1500, 1000, 5)]
    [InlineData(700, 1024, 350, 506, 2)]    // downscale
    [InlineData(1024, 1024, 1024, 1024, 4)] // identity last step
    [InlineData(1024, 3, 3000, 8, 1)]       // a strip
    [InlineData(9, 1024, 20, 2000, 6)]
    public void MaskFromLowResEqualsThePlainForm(int cw, int ch, int w, int h, int blobs)
    {
        var low = Blobs(cw * 7 + h, blobs, plateaus: true);
        var frame = PlainModelFrame(low, cw, ch);
        Assert.Equal(frame, LogitUpscaler.ModelFrame(low, cw, ch));
        foreach (float t in new[] { 0f, 0.5f, -0.25f, 3f })
        {
            var expected = PlainMask(frame, cw, ch, w, h, t);
            Assert.True(expected.Contains((byte)255) || t > 0, "the case selects nothing");
            var fused = LogitUpscaler.MaskFromLowRes(low, cw, ch, w, h, t);
            int diff = expected.Zip(fused).Count(p => p.First != p.Second);
            Assert.True(diff == 0, $"threshold {t}: {diff} pixels differ from the plain form");
            Assert.Equal(expected, LogitUpscaler.Mask(frame, cw, ch, w, h, t));
        }
    }

    [Fact]
    public void MaskFromLowResOfNothingAndOfEverything()
    {
        var low = new float[256 * 256];
        low.AsSpan().Fill(-1f);
        Assert.DoesNotContain((byte)255, LogitUpscaler.MaskFromLowRes(low, 1024, 768, 400, 300, 0f));
        // Positive only in the padding below the crop: nothing of it reaches the image.
        for (int x = 0; x < 256; x++) low[250 * 256 + x] = 5f;
        Assert.DoesNotContain((byte)255, LogitUpscaler.MaskFromLowRes(low, 1024, 768, 400, 300, 0f));
        low.AsSpan().Fill(2f);
        Assert.DoesNotContain((byte)0, LogitUpscaler.MaskFromLowRes(low, 1024, 768, 400, 300, 0f));
        // One positive cell: a small patch around its place in the image, nothing else.
        low.AsSpan().Fill(-1f);
        low[64 * 256 + 128] = 1f;
        var m = LogitUpscaler.MaskFromLowRes(low, 1024, 1024, 1024, 1024, 0f);
        Assert.Equal(PlainMask(PlainModelFrame(low, 1024, 1024), 1024, 1024, 1024, 1024, 0f), m);
        int on = m.Count(b => b == 255);
        Assert.InRange(on, 4, 64);
        Assert.Equal(255, m[(64 * 4 + 1) * 1024 + 128 * 4 + 1]);
    }
}

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
}

using SegPlugins.Core.Imaging;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Refinement.Matting.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Refinement.Matting;

public class SaturatedPixelsTests
{
    /// <summary>The selection written out per pixel from its definition, as the reference for <see cref="SaturatedPixels.Settle"/>.</summary>
    private static (byte[] Trimap, float[] Start) PlainSettle(byte[] trimap, float[] start, int w, int h, float margin, int radius)
    {
        var t = (byte[])trimap.Clone();
        var s = (float[])start.Clone();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (trimap[y * w + x] != Trimap.Unknown) continue;
                bool all0 = true, all1 = true;
                for (int yy = Math.Max(0, y - radius); yy <= Math.Min(h - 1, y + radius); yy++)
                    for (int xx = Math.Max(0, x - radius); xx <= Math.Min(w - 1, x + radius); xx++)
                    {
                        float v = start[yy * w + xx];
                        all0 &= v <= margin;
                        all1 &= v >= 1 - margin;
                    }
                if (all0) { t[y * w + x] = Trimap.Background; s[y * w + x] = 0; }
                else if (all1) { t[y * w + x] = Trimap.Foreground; s[y * w + x] = 1; }
            }
        return (t, s);
    }

    [Theory]
    [InlineData(1, 0.03f, 2)]
    [InlineData(2, 0.02f, 3)]
    [InlineData(3, 0.005f, 1)]
    [InlineData(4, 0f, 0)]
    public void SelectionMatchesThePlainPerPixelRule(int seed, float margin, int radius)
    {
        // Patches of saturated and fractional values, known blocks of both kinds, and pixels near the frame's edges; odd
        // sizes so the half level is a ceiling.
        int w = 83, h = 61, cw = (w + 1) / 2, ch = (h + 1) / 2;
        var rng = new Random(seed);
        var coarse = new float[cw * ch];
        for (int by = 0; by < ch; by += 5)
            for (int bx = 0; bx < cw; bx += 5)
            {
                float v = rng.Next(4) switch { 0 => 0f, 1 => 1f, 2 => margin * (float)rng.NextDouble(), _ => (float)rng.NextDouble() };
                for (int y = by; y < Math.Min(ch, by + 5); y++)
                    for (int x = bx; x < Math.Min(cw, bx + 5); x++) coarse[y * cw + x] = v;
            }
        var trimap = new byte[w * h];
        Array.Fill(trimap, Trimap.Unknown);
        for (int k = 0; k < 14; k++)
        {
            int x0 = rng.Next(w), y0 = rng.Next(h), bw = rng.Next(1, 9), bh = rng.Next(1, 9);
            byte v = rng.Next(2) == 0 ? Trimap.Background : Trimap.Foreground;
            for (int y = y0; y < Math.Min(h, y0 + bh); y++)
                for (int x = x0; x < Math.Min(w, x0 + bw); x++) trimap[y * w + x] = v;
        }
        var level = new MatteLevel(w, h, new float[w * h], new float[w * h], new float[w * h], trimap);
        var start = level.StartFrom(coarse, cw, ch);
        // A few values just past the margin, so that the comparison with it is exercised both ways.
        for (int i = 0; i < start.Length; i += 37)
            if (trimap[i] == Trimap.Unknown) start[i] = rng.Next(2) == 0 ? margin + 1e-4f : 1 - margin - 1e-4f;

        var (expectedTrimap, expectedStart) = PlainSettle(trimap, start, w, h, margin, radius);
        var before = (byte[])trimap.Clone();
        var narrowed = SaturatedPixels.Settle(trimap, start, w, h, margin, radius, out int settled);

        Assert.Equal(before, trimap); // the input trimap is not touched
        Assert.Equal(expectedTrimap, narrowed);
        Assert.Equal(expectedStart, start);
        Assert.Equal(expectedTrimap.Zip(before).Count(p => p.First != p.Second), settled);
        Assert.True(settled > 50, $"only {settled} settled: the test does not exercise the rule");
        Assert.True(expectedTrimap.Count(v => v == Trimap.Unknown) > 50, "nothing left unknown: the test does not exercise the rule");
    }

    /// <summary>
    /// A soft disc of textured colour over a textured background, with a hole of background inside it whose known core
    /// is a 1 px line.
    /// </summary>
    private static (BgraImage Image, float[] Alpha, Trimap Trimap) DiscWithHole(int w, int h)
    {
        double cx = w * 0.45, cy = h * 0.5, r = h * 0.36, hx = cx + r * 0.35, hy = cy, hr = 7;
        var alpha = new float[w * h];
        var img = new BgraImage(w, h);
        var t = new byte[w * h];
        var rng = new Random(3);
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < w; x++)
            {
                double d = Math.Sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
                double dh = Math.Sqrt((x - hx) * (x - hx) + (y - hy) * (y - hy));
                float a = (float)(Math.Clamp((r - d) / 6 + 0.5, 0, 1) * Math.Clamp((dh - hr) / 2 + 0.5, 0, 1));
                alpha[y * w + x] = a;
                double fr = 200 + rng.Next(30), fg = 90 + rng.Next(30), fb = 40 + (x + y) % 25;
                double br = 30 + rng.Next(20), bg = 100 + x * 60.0 / w, bb = 190 - y * 50.0 / h;
                row[4 * x + 2] = (byte)Math.Round(a * fr + (1 - a) * br);
                row[4 * x + 1] = (byte)Math.Round(a * fg + (1 - a) * bg);
                row[4 * x] = (byte)Math.Round(a * fb + (1 - a) * bb);
                row[4 * x + 3] = 255;
                // The band: 20 px either side of the disc's edge, and the whole hole with 12 px around it except its
                // known middle row (a line no coarse pixel can hold).
                t[y * w + x] = Math.Abs(d - r) < 20 || dh < hr + 12 ? Trimap.Unknown : d < r ? Trimap.Foreground : Trimap.Background;
                if (y == (int)hy && Math.Abs(x - hx) < hr - 2) t[y * w + x] = Trimap.Background;
            }
        }
        return (img, alpha, new Trimap(w, h, t));
    }

    [Fact]
    public void NarrowedSolveAgreesWithTheFullBandSolve()
    {
        var (img, truth, tri) = DiscWithHole(260, 200);
        var solver = new MatteOptions { EstimateForeground = false };
        var full = MatteSolver.SolveAlpha(img, tri, solver with { SettleSaturated = false });
        var narrowed = MatteSolver.SolveAlpha(img, tri, solver);
        double worst = 0, sum = 0, sadFull = 0, sadNarrowed = 0;
        int exactNarrowed = 0, exactFull = 0, unknown = 0;
        for (int i = 0; i < full.Length; i++)
        {
            if (tri.Data[i] != Trimap.Unknown) continue;
            unknown++;
            double d = Math.Abs(full[i] - narrowed[i]);
            worst = Math.Max(worst, d);
            sum += d;
            sadFull += Math.Abs(full[i] - truth[i]);
            sadNarrowed += Math.Abs(narrowed[i] - truth[i]);
            if (narrowed[i] is 0f or 1f) exactNarrowed++;
            if (full[i] is 0f or 1f) exactFull++;
        }
        // Settled pixels are exactly 0 or 1: a large share of the band must have been settled for the test to mean anything.
        Assert.True(exactNarrowed - exactFull > unknown / 4, $"{exactNarrowed} of {unknown} band pixels exactly 0 or 1 (full solve: {exactFull})");
        // Bound: no pixel more than 0.1 apart (the full solve leaves texture noise of a few hundredths where alpha is 0 or 1,
        // which the settled pixels do not have), mean difference under 3/255, and no further from the true alpha.
        Assert.True(worst < 0.1, $"largest difference {worst:0.0000}, mean {sum / unknown:0.00000}, SAD {sadNarrowed / 1000:0.000} narrowed, {sadFull / 1000:0.000} full");
        Assert.True(sum / unknown < 3 / 255.0, $"mean difference {sum / unknown:0.00000}");
        Assert.True(sadNarrowed <= sadFull * 1.05, $"SAD against the truth {sadNarrowed / 1000:0.000} narrowed, {sadFull / 1000:0.000} full");
    }

    [Theory]
    [InlineData(-0.01, 3, 1, "matte saturation margin")]
    [InlineData(0.5, 3, 1, "matte saturation margin")]
    [InlineData(double.NaN, 3, 1, "matte saturation margin")]
    [InlineData(0.01, -1, 1, "matte saturation radius")]
    [InlineData(0.01, 65, 1, "matte saturation radius")]
    [InlineData(0.01, 3, 0, "matte settle levels")]
    [InlineData(0.01, 3, 33, "matte settle levels")]
    public void BadSettlingOptionsAreRefused(double margin, int radius, int levels, string name)
    {
        var o = new MatteOptions { SaturationMargin = margin, SaturationRadius = radius, SettleLevels = levels };
        var (img, _, tri) = DiscWithHole(40, 30);
        var e = Assert.Throws<SegArgumentException>(() => MatteSolver.SolveAlpha(img, tri, o));
        Assert.StartsWith(name + ": must be", e.Message);
        Assert.Contains("got", e.Message);
    }
}

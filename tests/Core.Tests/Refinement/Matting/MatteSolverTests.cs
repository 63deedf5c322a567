using SegPlugins.Core.Imaging;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Refinement.Matting.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Refinement.Matting;

public class MatteSolverTests
{
    private static readonly MatteOptions Exact = new() { Tolerance = 1e-9, MaxIterations = 5000, CoarseToFineMinUnknown = 1 << 30, EstimateForeground = false };

    /// <summary>The matting Laplacian written out from its definition, densely, in doubles (Levin et al. 2008, eq. 12).</summary>
    private static double[,] DenseLaplacian(BgraImage image, double eps)
    {
        int w = image.Width, h = image.Height, n = w * h;
        var L = new double[n, n];
        double C(int i, int c) => image.Row(i / w)[4 * (i % w) + 2 - c] / 255.0; // c: 0 R, 1 G, 2 B
        for (int cy = 1; cy < h - 1; cy++)
            for (int cx = 1; cx < w - 1; cx++)
            {
                var idx = new int[9];
                for (int k = 0; k < 9; k++) idx[k] = (cy + k / 3 - 1) * w + cx + k % 3 - 1;
                var mu = new double[3];
                for (int c = 0; c < 3; c++) { foreach (int i in idx) mu[c] += C(i, c); mu[c] /= 9; }
                var cov = new double[3, 3];
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                    {
                        foreach (int i in idx) cov[a, b] += (C(i, a) - mu[a]) * (C(i, b) - mu[b]);
                        cov[a, b] = cov[a, b] / 9 + (a == b ? eps / 9 : 0);
                    }
                var inv = Invert3(cov);
                foreach (int i in idx)
                    foreach (int j in idx)
                    {
                        double q = 0;
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++) q += (C(i, a) - mu[a]) * inv[a, b] * (C(j, b) - mu[b]);
                        L[i, j] += (i == j ? 1 : 0) - (1 + q) / 9;
                    }
            }
        return L;
    }

    private static double[,] Invert3(double[,] m)
    {
        var a = new double[3, 6];
        for (int i = 0; i < 3; i++) { for (int j = 0; j < 3; j++) a[i, j] = m[i, j]; a[i, 3 + i] = 1; }
        GaussJordan(a, 3);
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) r[i, j] = a[i, 3 + j];
        return r;
    }

    private static void GaussJordan(double[,] a, int n)
    {
        int cols = a.GetLength(1);
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            for (int k = 0; k < cols; k++) (a[c, k], a[p, k]) = (a[p, k], a[c, k]);
            double d = a[c, c];
            for (int k = 0; k < cols; k++) a[c, k] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == c || a[r, c] == 0) continue;
                double f = a[r, c];
                for (int k = 0; k < cols; k++) a[r, k] -= f * a[c, k];
            }
        }
    }

    private static BgraImage RandomImage(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new BgraImage(w, h);
        rng.NextBytes(img.Pixels);
        for (int i = 3; i < img.Pixels.Length; i += 4) img.Pixels[i] = 255;
        return img;
    }

    private static Trimap BandTrimap(int w, int h, int x0, int x1)
    {
        var t = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                t[y * w + x] = x < x0 ? Trimap.Background : x >= x1 ? Trimap.Foreground : Trimap.Unknown;
        return new Trimap(w, h, t);
    }

    [Fact]
    public void StencilMatchesTheDenseLaplacian()
    {
        var img = RandomImage(7, 6, 1);
        var tri = BandTrimap(7, 6, 2, 5);
        var level = MatteLevel.FromImage(img, tri.Data);
        var sys = MattingLaplacian.Build(level, 1e-3, default);
        var L = DenseLaplacian(img, 1e-3);
        int w = 7;
        for (int u = 0; u < sys.Count; u++)
        {
            int i = sys.UnknownPixels[u];
            for (int t = 0; t < MattingLaplacian.Taps; t++)
            {
                int dx = t % 5 - 2, dy = t / 5 - 2, x = i % w + dx, y = i / w + dy;
                double expected = x >= 0 && x < w && y >= 0 && y < 6 ? L[i, y * w + x] : 0;
                Assert.Equal(expected, sys.Coefficients[u * MattingLaplacian.Taps + t], 3);
            }
        }
    }

    [Fact]
    public void LevelOverTheImageGivesTheStencilAndHalfOfThePlanarLevel()
    {
        var img = RandomImage(23, 17, 4);
        var tri = BandTrimap(23, 17, 6, 15);
        var planar = MatteLevel.FromImage(img, tri.Data);
        var direct = MatteLevel.OverImage(img, tri.Data);
        Assert.Null(direct.R); // no planar copy
        var a = MattingLaplacian.Build(planar, 1e-7, default);
        var b = MattingLaplacian.Build(direct, 1e-7, default);
        Assert.Equal(a.UnknownPixels, b.UnknownPixels);
        Assert.Equal(a.Coefficients, b.Coefficients);
        Assert.Equal(a.Rhs, b.Rhs);
        var ha = planar.Half();
        var hb = direct.Half();
        Assert.Equal(ha.R, hb.R);
        Assert.Equal(ha.G, hb.G);
        Assert.Equal(ha.B, hb.B);
        Assert.Equal(ha.Trimap, hb.Trimap);
        // A padded image (stride beyond 4 · width) falls back to planar colours.
        var padded = new BgraImage(23, 17, new byte[(4 * 23 + 8) * 17], 4 * 23 + 8);
        for (int y = 0; y < 17; y++) img.Row(y).CopyTo(padded.Row(y));
        var fallback = MatteLevel.OverImage(padded, tri.Data);
        Assert.NotNull(fallback.R);
        Assert.Equal(a.Coefficients, MattingLaplacian.Build(fallback, 1e-7, default).Coefficients);
    }

    [Fact]
    public void HalfLevelKeepsAKnownPixelUnlessItsBlockDisagrees()
    {
        // 5x3 fine pixels -> 3x2 coarse (ceil); each coarse pixel's block written out.
        const byte B = Trimap.Background, U = Trimap.Unknown, F = Trimap.Foreground;
        byte[] fine =
        [
            U, F, U, U, B,
            U, U, U, U, U,
            F, B, U, U, U,
        ];
        var level = MatteLevel.FromImage(RandomImage(5, 3, 8), fine).Half();
        Assert.Equal(3, level.Width);
        Assert.Equal(2, level.Height);
        // (0,0): one foreground pixel among unknowns; (1,0): all unknown; (2,0): one background pixel (the last column
        // counts twice); (0,1): foreground and background disagree; (1,1), (2,1): unknown.
        Assert.Equal(new byte[] { F, U, B, U, U, U }, level.Trimap);
    }

    [Fact]
    public void SolutionMatchesADenseSolveOfTheSameSystem()
    {
        int w = 9, h = 8;
        var img = RandomImage(w, h, 2);
        var tri = BandTrimap(w, h, 3, 6);
        const double eps = 1e-2; // well conditioned, so the float solver and the double reference can agree closely
        var L = DenseLaplacian(img, eps);
        var unknown = Enumerable.Range(0, w * h).Where(i => tri.Data[i] == Trimap.Unknown).ToArray();
        int n = unknown.Length;
        var a = new double[n, n + 1];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++) a[r, c] = L[unknown[r], unknown[c]];
            double b = 0;
            for (int j = 0; j < w * h; j++) if (tri.Data[j] == Trimap.Foreground) b -= L[unknown[r], j];
            a[r, n] = b;
        }
        GaussJordan(a, n);
        var alpha = MatteSolver.SolveAlpha(img, tri, Exact with { Epsilon = eps });
        for (int r = 0; r < n; r++)
            Assert.Equal(Math.Clamp(a[r, n], 0, 1), alpha[unknown[r]], 3);
        // Known pixels keep their values exactly.
        for (int i = 0; i < w * h; i++)
            if (tri.Data[i] != Trimap.Unknown) Assert.Equal(tri.Data[i] == Trimap.Foreground ? 1f : 0f, alpha[i]);
    }

    [Fact]
    public void ResidualOfTheLinearSystemIsSmall()
    {
        int w = 40, h = 30;
        var img = RandomImage(w, h, 3);
        var tri = BandTrimap(w, h, 10, 30);
        var level = MatteLevel.FromImage(img, tri.Data);
        var sys = MattingLaplacian.Build(level, 1e-7, default);
        var alpha = level.FlatStart();
        var before = Norm(sys.Residual(alpha));
        int it = sys.Solve(alpha, 1e-6, 20000, default, clamp: false);
        var after = Norm(sys.Residual(alpha));
        Assert.True(it > 0);
        Assert.True(after <= 1e-4 * Math.Max(1, Norm(sys.Rhs)) || after < before * 1e-4, $"residual {after} (was {before}) after {it} iterations");
    }

    private static double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));

    /// <summary>A composite of foreground colour F and background B with alpha; returns the image.</summary>
    private static BgraImage Composite(int w, int h, Func<int, int, float> alpha, Func<int, int, (byte R, byte G, byte B)> fg, Func<int, int, (byte R, byte G, byte B)> bg)
    {
        var img = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < w; x++)
            {
                float a = alpha(x, y);
                var f = fg(x, y); var b = bg(x, y);
                row[4 * x + 2] = (byte)Math.Round(a * f.R + (1 - a) * b.R);
                row[4 * x + 1] = (byte)Math.Round(a * f.G + (1 - a) * b.G);
                row[4 * x] = (byte)Math.Round(a * f.B + (1 - a) * b.B);
                row[4 * x + 3] = 255;
            }
        }
        return img;
    }

    [Fact]
    public void SmoothRampIsRecovered()
    {
        int w = 64, h = 24;
        float A(int x, int y) => Math.Clamp((x - 12) / 40f, 0f, 1f);
        var img = Composite(w, h, A, (_, _) => (220, 60, 30), (_, _) => (20, 70, 200));
        var tri = BandTrimap(w, h, 10, 54);
        var matte = MatteSolver.Solve(img, tri);
        double worst = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) worst = Math.Max(worst, Math.Abs(matte.Alpha[x, y] / 255.0 - A(x, y)));
        Assert.True(worst < 0.03, $"largest alpha error {worst:0.000}");
    }

    /// <summary>Vertical hairs, 1 px wide every 4 px, alpha 0.7, hanging from a head over a background that is dark on the left and light on the right.</summary>
    private static (BgraImage Image, float[] Alpha, Trimap Trimap) Hair()
    {
        int w = 64, h = 64;
        float A(int x, int y) => y < 12 ? 1f : y < 52 && x % 4 == 1 ? 0.7f : 0f;
        (byte, byte, byte) F(int x, int y) => (150, 90, 40);
        (byte, byte, byte) B(int x, int y) => x < 32 ? ((byte)20, (byte)110, (byte)40) : ((byte)210, (byte)210, (byte)220);
        var img = Composite(w, h, A, F, B);
        var alpha = new float[w * h];
        var t = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                alpha[y * w + x] = A(x, y);
                t[y * w + x] = y < 8 ? Trimap.Foreground : y >= 56 ? Trimap.Background : Trimap.Unknown;
            }
        // The background beside the hairs is known on both sides of the picture's middle too, as a user's trimap would have it.
        for (int y = 8; y < 56; y++)
            for (int x = 0; x < w; x++)
                if (y >= 14 && (x % 4 == 3)) t[y * w + x] = Trimap.Background;
        return (img, alpha, new Trimap(w, h, t));
    }

    [Fact]
    public void ThinHairOverTwoBackgroundsKeepsItsAlphaAndColour()
    {
        var (img, truth, tri) = Hair();
        var matte = MatteSolver.Solve(img, tri);
        int w = img.Width;
        double hairAlpha = 0, gapAlpha = 0, fgErr = 0, imgErr = 0;
        int nh = 0, ng = 0;
        for (int y = 16; y < 48; y++)
            for (int x = 0; x < w; x++)
            {
                double a = matte.Alpha[x, y] / 255.0;
                if (x % 4 == 1)
                {
                    hairAlpha += a; nh++;
                    var f = matte.Foreground.Row(y).Slice(4 * x, 4);
                    var s = img.Row(y).Slice(4 * x, 4);
                    fgErr += Math.Abs(f[2] - 150) + Math.Abs(f[1] - 90) + Math.Abs(f[0] - 40);
                    imgErr += Math.Abs(s[2] - 150) + Math.Abs(s[1] - 90) + Math.Abs(s[0] - 40);
                }
                else if (x % 4 is 0 or 2) { gapAlpha += a; ng++; }
            }
        hairAlpha /= nh; gapAlpha /= ng;
        Assert.InRange(hairAlpha, 0.6, 0.8);
        Assert.True(gapAlpha < 0.08, $"alpha between the hairs {gapAlpha:0.000}");
        // The estimated hair colour is much nearer the true foreground than the mixed pixel is.
        Assert.True(fgErr < imgErr / 3, $"foreground colour error {fgErr / nh:0.0} per hair pixel, image colour {imgErr / nh:0.0}");
        double sad = matte.Alpha.ToFloats().Zip(truth, (a, t) => Math.Abs(a - (double)t)).Sum() / 1000; // the benchmark's SAD
        Assert.True(sad < 0.03, $"SAD {sad:0.000}");
    }

    [Fact]
    public void CoarseToFineGivesTheSameMatteAsTheDirectSolve()
    {
        var (img, _, tri) = Hair();
        var direct = MatteSolver.SolveAlpha(img, tri, Exact);
        var ctf = MatteSolver.SolveAlpha(img, tri, Exact with { CoarseToFineMinUnknown = 16 });
        double worst = 0;
        for (int i = 0; i < direct.Length; i++) worst = Math.Max(worst, Math.Abs(direct[i] - ctf[i]));
        Assert.True(worst < 0.01, $"largest difference {worst:0.0000}");
    }

    [Fact]
    public void TiledForegroundAgreesWithTheWholeFrameWhereAlphaIsFractional()
    {
        int w = 700, h = 600;
        var rng = new Random(9);
        var r = new float[w * h]; var g = new float[w * h]; var b = new float[w * h]; var a = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                // A soft vertical edge crossing the tile seam at x = 512, over a background that changes along y.
                float alpha = Math.Clamp((x - 500) / 24f, 0f, 1f);
                float fr = 0.8f, fgc = 0.3f, fbc = 0.1f, br = 0.1f, bg = 0.2f + 0.5f * y / h, bb = 0.7f;
                a[i] = alpha;
                r[i] = alpha * fr + (1 - alpha) * br + (float)(rng.NextDouble() * 0.01);
                g[i] = alpha * fgc + (1 - alpha) * bg;
                b[i] = alpha * fbc + (1 - alpha) * bb;
            }
        var whole = ForegroundEstimator.Estimate(w, h, r, g, b, a, 1e-5, 1, default);
        var tiled = ForegroundEstimator.EstimateTiled(w, h, r, g, b, a, 1e-5, 1, default);
        double worst = 0, errTiled = 0;
        int n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] <= 0.05f || a[i] >= 1f) continue;
            worst = Math.Max(worst, Math.Abs(whole.G[i] - tiled.G[i]));
            errTiled += Math.Abs(tiled.G[i] - 0.3f);
            n++;
        }
        Assert.True(n > 1000);
        Assert.True(worst < 0.05, $"largest difference {worst:0.000}");
        Assert.True(errTiled / n < 0.05, $"mean foreground error {errTiled / n:0.000}");
    }

    [Fact]
    public void ForegroundUpdatedNearTheEdgeOnlyMatchesTheWholeLevelUpdate()
    {
        // A soft circle's edge, thin strands and a fractional speck in a corner, over a background that varies: the banded
        // levels must give the colours of updating every pixel wherever alpha is fractional.
        int w = 300, h = 260;
        var rng = new Random(13);
        var r = new float[w * h]; var g = new float[w * h]; var b = new float[w * h]; var a = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                double d = Math.Sqrt((x - 140.0) * (x - 140.0) + (y - 120.0) * (y - 120.0));
                float alpha = (float)Math.Clamp((90 - d) / 6, 0, 1);
                if (y > 200 && x % 9 == 4) alpha = 0.6f;
                if (x >= 290 && y < 4) alpha = 0.3f;
                a[i] = alpha;
                float fr = 0.9f, fgc = 0.4f + 0.2f * x / w, fbc = 0.2f, br = 0.1f + 0.6f * y / h, bg = 0.3f, bb = 0.8f;
                r[i] = alpha * fr + (1 - alpha) * br + (float)(rng.NextDouble() * 0.02);
                g[i] = alpha * fgc + (1 - alpha) * bg;
                b[i] = alpha * fbc + (1 - alpha) * bb + (float)(rng.NextDouble() * 0.02);
            }
        var whole = ForegroundEstimator.Estimate(w, h, r, g, b, a, 1e-5, 1, default, new ForegroundEstimator.Scratch(), banded: false);
        var whole2 = (R: (float[])whole.R.Clone(), G: (float[])whole.G.Clone(), B: (float[])whole.B.Clone());
        var banded = ForegroundEstimator.Estimate(w, h, r, g, b, a, 1e-5, 1, default, new ForegroundEstimator.Scratch(), banded: true);
        double worst = 0, differentElsewhere = 0;
        int n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = Math.Max(Math.Abs(whole2.R[i] - banded.R[i]), Math.Max(Math.Abs(whole2.G[i] - banded.G[i]), Math.Abs(whole2.B[i] - banded.B[i])));
            if (a[i] > 0f && a[i] < 1f) { worst = Math.Max(worst, diff); n++; }
            else differentElsewhere = Math.Max(differentElsewhere, diff);
        }
        Assert.True(n > 1000);
        Assert.True(worst == 0, $"largest difference where alpha is fractional {worst:0.000000}");
        Assert.True(differentElsewhere > 0, "the banded update skipped nothing: the test does not exercise it");
    }

    [Fact]
    public void VectorStencilProductMatchesThePlainOne()
    {
        int w = 37, h = 29;
        var img = RandomImage(w, h, 5);
        var tri = new Trimap(w, h);
        var rng = new Random(11);
        for (int i = 0; i < tri.Data.Length; i++) tri.Data[i] = (byte)(rng.Next(3) switch { 0 => Trimap.Background, 1 => Trimap.Unknown, _ => Trimap.Foreground });
        var sys = MattingLaplacian.Build(MatteLevel.FromImage(img, tri.Data), 1e-5, default);
        Assert.True(sys.Count > 200);
        int pw = w + 4;
        var padded = new float[pw * (h + 4)];
        var padIndex = new int[sys.Count];
        for (int u = 0; u < sys.Count; u++)
        {
            padIndex[u] = (sys.UnknownPixels[u] / w + 2) * pw + sys.UnknownPixels[u] % w + 2;
            padded[padIndex[u]] = (float)rng.NextDouble();
        }
        var offsets = new int[MattingLaplacian.Taps];
        for (int t = 0; t < offsets.Length; t++) offsets[t] = (t / 5 - 2) * pw + (t % 5 - 2);
        var plain = new float[sys.Count];
        var vector = new float[sys.Count];
        MattingLaplacian.ApplyScalar(sys.Coefficients, padded, padIndex, offsets, plain, 0, sys.Count);
        sys.ApplyVector(padded, padIndex, vector, 0, sys.Count);
        double scale = 0;
        foreach (float c in sys.Coefficients) scale = Math.Max(scale, Math.Abs(c));
        for (int u = 0; u < sys.Count; u++)
            Assert.True(Math.Abs(plain[u] - vector[u]) <= 1e-5 * scale * MattingLaplacian.Taps, $"unknown {u}: {plain[u]} vs {vector[u]}");
        Assert.Contains(plain, v => Math.Abs(v) > 1e-3); // the product is not trivially zero
    }

    [Fact]
    public void TrimapOfAnotherSizeIsRefused()
    {
        var e = Assert.Throws<SegArgumentException>(() => MatteSolver.Solve(RandomImage(8, 6, 1), new Trimap(6, 8)));
        Assert.Contains("trimap", e.Message);
        Assert.Contains("6x8", e.Message);
        Assert.Contains("8x6", e.Message);
    }

    [Fact]
    public void AllUnknownTrimapIsRefused()
    {
        var t = new byte[8 * 6];
        Array.Fill(t, Trimap.Unknown);
        var e = Assert.Throws<SegArgumentException>(() => MatteSolver.Solve(RandomImage(8, 6, 1), new Trimap(8, 6, t)));
        Assert.Contains("unknown (128) everywhere", e.Message);
    }

    [Fact]
    public void OnePixelImageIsRefused()
    {
        var e = Assert.Throws<SegArgumentException>(() => MatteSolver.Solve(RandomImage(1, 1, 1), new Trimap(1, 1, [Trimap.Unknown])));
        Assert.Contains("at least 3x3", e.Message);
    }

    [Fact]
    public void TrimapValuesOtherThanTheThreeAreRefused()
    {
        var t = new byte[4 * 3];
        t[6] = 100;
        var e = Assert.Throws<SegArgumentException>(() => new Trimap(4, 3, t, "tri.png"));
        Assert.Contains("tri.png", e.Message);
        Assert.Contains("value 100 at (2,1)", e.Message);
        Assert.Contains("0 (background), 128 (unknown) or 255 (foreground)", e.Message);
    }

    [Fact]
    public void NoUnknownPixelsGiveTheTrimapItself()
    {
        var tri = BandTrimap(8, 6, 4, 4);
        var alpha = MatteSolver.SolveAlpha(RandomImage(8, 6, 5), tri);
        for (int i = 0; i < alpha.Length; i++) Assert.Equal(tri.Data[i] == Trimap.Foreground ? 1f : 0f, alpha[i]);
    }
}

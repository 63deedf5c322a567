using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class GuidedFilterTests
{
    /// <summary>Straightforward whole-image guided filter with explicit window loops.</summary>
    private static double[] Reference(byte[] p, BgraImage img, int r, double eps)
    {
        int w = img.Width, h = img.Height;
        var I = new double[w * h];
        var P = new double[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var px = img.Row(y).Slice(x * 4, 4);
                I[y * w + x] = (0.114f * px[0] + 0.587f * px[1] + 0.299f * px[2]) * (1f / 255f);
                P[y * w + x] = p[y * w + x] / 255.0;
            }
        double[] Mean(double[] f)
        {
            var m = new double[w * h];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double s = 0; int n = 0;
                    for (int j = Math.Max(0, y - r); j <= Math.Min(h - 1, y + r); j++)
                        for (int i = Math.Max(0, x - r); i <= Math.Min(w - 1, x + r); i++) { s += f[j * w + i]; n++; }
                    m[y * w + x] = s / n;
                }
            return m;
        }
        var mI = Mean(I); var mP = Mean(P);
        var II = new double[w * h]; var IP = new double[w * h];
        for (int i = 0; i < II.Length; i++) { II[i] = I[i] * I[i]; IP[i] = I[i] * P[i]; }
        var mII = Mean(II); var mIP = Mean(IP);
        var a = new double[w * h]; var b = new double[w * h];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (mIP[i] - mI[i] * mP[i]) / (mII[i] - mI[i] * mI[i] + eps);
            b[i] = mP[i] - a[i] * mI[i];
        }
        var ma = Mean(a); var mb = Mean(b);
        var q = new double[w * h];
        for (int i = 0; i < q.Length; i++) q[i] = Math.Clamp((ma[i] * I[i] + mb[i]) * 255, 0, 255);
        return q;
    }

    private static (Mask mask, BgraImage img) Scene(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var img = new BgraImage(w, h);
        var truth = Ascii.Disk(w, h, w * 0.45, h * 0.55, Math.Min(w, h) * 0.3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int v = truth[x, y] ? 200 : 40;
                var px = img.Row(y).Slice(x * 4, 4);
                px[0] = (byte)Math.Clamp(v + rng.Next(-10, 11), 0, 255);
                px[1] = (byte)Math.Clamp(v + rng.Next(-10, 11), 0, 255);
                px[2] = (byte)Math.Clamp(v + rng.Next(-10, 11), 0, 255);
                px[3] = 255;
            }
        // The "prediction" is the truth shifted by 2 px: the filter should pull it back towards the image edge.
        var mask = new Mask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 2; x < w; x++) mask.Data[y * w + x] = truth.Data[y * w + x - 2];
        return (mask, img);
    }

    [Theory]
    [InlineData(150, 140, 3, 1e-3)]
    [InlineData(97, 71, 8, 1e-4)]
    public void TiledFilterMatchesWholeImageReference(int w, int h, int r, double eps)
    {
        var (mask, img) = Scene(w, h, w);
        var got = mask.RefineEdges(img, new RefineEdgeOptions(r, (float)eps));
        var want = Reference(mask.Data, img, r, eps);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got.Data[i] - want[i]) <= 1.0, $"pixel {i % w},{i / w}: {got.Data[i]} vs {want[i]:0.00}");
    }

    [Fact]
    public void RefinementFollowsTheImageEdgeAndLeavesFarPixels()
    {
        var (mask, img) = Scene(120, 100, 5);
        var refined = mask.RefineEdges(img, new RefineEdgeOptions(6, 1e-3f));
        var truth = Ascii.Disk(120, 100, 120 * 0.45, 100 * 0.55, 30);
        long before = mask.Xor(truth).Area(), after = refined.ToMask().Xor(truth).Area();
        Assert.True(after < before / 2, $"{after} pixels differ from the image edge, before {before}");
        int soft = refined.Data.Count(v => v is > 0 and < 255);
        Assert.True(soft > 50, $"only {soft} fractional pixels");
        Assert.Equal(255, refined[55, 55]);
        Assert.Equal(0, refined[2, 2]);
    }

    [Fact]
    public void BadOptionsAndSizes()
    {
        Assert.Throws<SegArgumentException>(() => new RefineEdgeOptions(0));
        Assert.Throws<SegArgumentException>(() => new RefineEdgeOptions(4, 0));
        var e = Assert.Throws<SegArgumentException>(() => new Mask(4, 4).RefineEdges(new BgraImage(5, 4)));
        Assert.Contains("5x4", e.Message);
        var one = new Mask(1, 1); one.Data[0] = 255;
        Assert.Equal(255, one.RefineEdges(new BgraImage(1, 1)).Data[0]);
    }
}

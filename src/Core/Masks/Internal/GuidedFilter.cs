using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Grey-guide guided filter (He, Sun and Tang, "Guided Image Filtering", ECCV 2010 / TPAMI 2013, Algorithm 1):
/// per window a linear model q = a·I + b fitted to the input p, then a and b averaged over the windows covering
/// each pixel. Box means come from per-tile integral images.
/// Where p is constant over the (4r+1)² neighbourhood, cov(I,p) = 0, so a = 0, b = p and the output equals the
/// input; only 64x64 tiles whose neighbourhood holds an edge are computed, which bounds the work by the edge
/// length and gives the same result as filtering the whole image.
/// </summary>
internal static class GuidedFilter
{
    private const int Tile = Tiles.Size;

    public static byte[] Refine(byte[] alpha, int w, int h, BgraImage guide, int r, float eps)
    {
        var dst = (byte[])alpha.Clone();
        var tiles = Tiles.Active(alpha, w, h, 2 * r, out int tw);
        ParallelRows.For(tiles.Length, (long)(Tile + 4 * r) * (Tile + 4 * r) * 30, (t0, t1) =>
        {
            var ws = new Workspace(Tile + 4 * r);
            for (int t = t0; t < t1; t++)
            {
                int tx = tiles[t] % tw, ty = tiles[t] / tw;
                FilterTile(alpha, dst, w, h, guide, r, eps, tx * Tile, ty * Tile, Math.Min(w, tx * Tile + Tile), Math.Min(h, ty * Tile + Tile), ws);
            }
        });
        return dst;
    }

    private sealed class Workspace
    {
        public Workspace(int n)
        {
            int m = (n + 1) * (n + 1);
            SI = new double[m]; SP = new double[m]; SII = new double[m]; SIP = new double[m];
            SA = new double[m]; SB = new double[m]; I = new float[n * n];
        }
        public readonly double[] SI, SP, SII, SIP, SA, SB;
        public readonly float[] I;
    }

    /// <summary>Rec. 601 luma in 0..1, the grey guide.</summary>
    private static float Luma(ReadOnlySpan<byte> bgra, int x) =>
        (0.114f * bgra[x * 4] + 0.587f * bgra[x * 4 + 1] + 0.299f * bgra[x * 4 + 2]) * (1f / 255f);

    private static void FilterTile(byte[] p, byte[] dst, int w, int h, BgraImage guide, int r, float eps,
        int x0, int y0, int x1, int y1, Workspace ws)
    {
        // Window: the tile plus 2r (a/b need means over r, and they are averaged over r again).
        int wx0 = Math.Max(0, x0 - 2 * r), wy0 = Math.Max(0, y0 - 2 * r);
        int wx1 = Math.Min(w, x1 + 2 * r), wy1 = Math.Min(h, y1 + 2 * r);
        int ww = wx1 - wx0, wh = wy1 - wy0, sw = ww + 1;
        var I = ws.I;
        double[] SI = ws.SI, SP = ws.SP, SII = ws.SII, SIP = ws.SIP, SA = ws.SA, SB = ws.SB;
        const double inv255 = 1.0 / 255.0;
        Array.Clear(SI, 0, sw); Array.Clear(SP, 0, sw); Array.Clear(SII, 0, sw); Array.Clear(SIP, 0, sw);
        for (int j = 0; j < wh; j++)
        {
            var g = guide.Row(wy0 + j);
            int pr = (wy0 + j) * w + wx0;
            double ri = 0, rp = 0, rii = 0, rip = 0;
            int o = (j + 1) * sw, oa = j * sw;
            SI[o] = SP[o] = SII[o] = SIP[o] = 0;
            for (int i = 0; i < ww; i++)
            {
                float iv = Luma(g, wx0 + i);
                I[j * ww + i] = iv;
                double pv = p[pr + i] * inv255;
                ri += iv; rp += pv; rii += iv * iv; rip += iv * pv;
                SI[o + i + 1] = SI[oa + i + 1] + ri;
                SP[o + i + 1] = SP[oa + i + 1] + rp;
                SII[o + i + 1] = SII[oa + i + 1] + rii;
                SIP[o + i + 1] = SIP[oa + i + 1] + rip;
            }
        }
        // a, b on the tile plus r, with boxes clipped to the image (the paper's N(x) normalisation).
        int ax0 = Math.Max(0, x0 - r), ay0 = Math.Max(0, y0 - r), ax1 = Math.Min(w, x1 + r), ay1 = Math.Min(h, y1 + r);
        int aw = ax1 - ax0, ah = ay1 - ay0, asw = aw + 1;
        Array.Clear(SA, 0, asw); Array.Clear(SB, 0, asw);
        for (int j = 0; j < ah; j++)
        {
            int y = ay0 + j;
            int by0 = Math.Max(0, y - r) - wy0, by1 = Math.Min(h, y + r + 1) - wy0;
            double ra = 0, rb = 0;
            int o = (j + 1) * asw, oa = j * asw;
            SA[o] = SB[o] = 0;
            for (int i = 0; i < aw; i++)
            {
                int x = ax0 + i;
                int bx0 = Math.Max(0, x - r) - wx0, bx1 = Math.Min(w, x + r + 1) - wx0;
                double n = (double)(bx1 - bx0) * (by1 - by0);
                double mI = Box(SI, sw, bx0, by0, bx1, by1) / n;
                double mP = Box(SP, sw, bx0, by0, bx1, by1) / n;
                double vI = Box(SII, sw, bx0, by0, bx1, by1) / n - mI * mI;
                double cIP = Box(SIP, sw, bx0, by0, bx1, by1) / n - mI * mP;
                double a = cIP / (vI + eps);
                double b = mP - a * mI;
                ra += a; rb += b;
                SA[o + i + 1] = SA[oa + i + 1] + ra;
                SB[o + i + 1] = SB[oa + i + 1] + rb;
            }
        }
        for (int y = y0; y < y1; y++)
        {
            int by0 = Math.Max(0, y - r) - ay0, by1 = Math.Min(h, y + r + 1) - ay0;
            for (int x = x0; x < x1; x++)
            {
                int bx0 = Math.Max(0, x - r) - ax0, bx1 = Math.Min(w, x + r + 1) - ax0;
                double n = (double)(bx1 - bx0) * (by1 - by0);
                double q = Box(SA, asw, bx0, by0, bx1, by1) / n * I[(y - wy0) * ww + (x - wx0)] + Box(SB, asw, bx0, by0, bx1, by1) / n;
                double v = q * 255.0 + 0.5;
                dst[y * w + x] = v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
            }
        }
    }

    private static double Box(double[] s, int sw, int x0, int y0, int x1, int y1) =>
        s[y1 * sw + x1] - s[y0 * sw + x1] - s[y1 * sw + x0] + s[y0 * sw + x0];
}

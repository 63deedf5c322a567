namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// Multi-level foreground estimation (Germer, Uelwer, Conrad, Harmeling 2020): solves I = αF + (1-α)B for smooth F and
/// B from a 1x1 level up to full resolution, each level started from the one below (nearest sampling). At every pixel the
/// 2x2 system per channel combines the compositing equation with its 4 neighbours, weighted by
/// regularization + gradientWeight·|Δα|. Updates run red-black (Gauss-Seidel order that both cores can share).
/// </summary>
internal static class ForegroundEstimator
{
    /// <summary>Iterations per level on levels larger than <see cref="SmallSize"/> (the paper's default).</summary>
    private const int BigIterations = 2;
    /// <summary>Iterations per level on small levels (the paper's default).</summary>
    private const int SmallIterations = 10;
    private const int SmallSize = 32;

    /// <summary>Side of the tiles of <see cref="EstimateTiled"/>, and the margin each tile sees around it.</summary>
    private const int Tile = 512, Margin = 32;

    /// <summary>
    /// Foreground colours where alpha is fractional, tile by tile: each tile holding a fractional alpha is estimated with a
    /// margin around it (F and B are local: the finest levels' smoothness reaches a few pixels), and the rest keeps the
    /// image's colours. Memory and time follow the matte's edge, not the frame: a 12 MP frame's full pyramid would hold
    /// 16 floats per pixel.
    /// </summary>
    public static (float[] R, float[] G, float[] B) EstimateTiled(int w, int h, float[] r, float[] g, float[] b, float[] alpha, double regularization, double gradientWeight, CancellationToken ct)
    {
        if ((long)w * h <= (long)Tile * Tile) return Estimate(w, h, r, g, b, alpha, regularization, gradientWeight, ct);
        var fr = (float[])r.Clone();
        var fg = (float[])g.Clone();
        var fb = (float[])b.Clone();
        int tx = (w + Tile - 1) / Tile, ty = (h + Tile - 1) / Tile;
        System.Threading.Tasks.Parallel.For(0, tx * ty, new ParallelOptions { CancellationToken = ct }, t =>
        {
            int x0 = t % tx * Tile, y0 = t / tx * Tile, x1 = Math.Min(w, x0 + Tile), y1 = Math.Min(h, y0 + Tile);
            bool fractional = false;
            for (int y = y0; y < y1 && !fractional; y++)
                for (int x = x0; x < x1; x++) { float a = alpha[y * w + x]; if (a > 0f && a < 1f) { fractional = true; break; } }
            if (!fractional) return;
            int cx0 = Math.Max(0, x0 - Margin), cy0 = Math.Max(0, y0 - Margin), cx1 = Math.Min(w, x1 + Margin), cy1 = Math.Min(h, y1 + Margin);
            int cw = cx1 - cx0, ch = cy1 - cy0;
            var cr = new float[cw * ch]; var cg = new float[cw * ch]; var cb = new float[cw * ch]; var ca = new float[cw * ch];
            for (int y = 0; y < ch; y++)
            {
                int src = (cy0 + y) * w + cx0;
                r.AsSpan(src, cw).CopyTo(cr.AsSpan(y * cw)); g.AsSpan(src, cw).CopyTo(cg.AsSpan(y * cw));
                b.AsSpan(src, cw).CopyTo(cb.AsSpan(y * cw)); alpha.AsSpan(src, cw).CopyTo(ca.AsSpan(y * cw));
            }
            var (er, eg, eb) = Estimate(cw, ch, cr, cg, cb, ca, regularization, gradientWeight, ct);
            for (int y = y0; y < y1; y++)
            {
                int src = (y - cy0) * cw + (x0 - cx0), dst = y * w + x0;
                er.AsSpan(src, x1 - x0).CopyTo(fr.AsSpan(dst)); eg.AsSpan(src, x1 - x0).CopyTo(fg.AsSpan(dst)); eb.AsSpan(src, x1 - x0).CopyTo(fb.AsSpan(dst));
            }
        });
        return (fr, fg, fb);
    }

    /// <summary>Foreground colours (planar, 0..1) of an image (planar, 0..1) with matte <paramref name="alpha"/>.</summary>
    public static (float[] R, float[] G, float[] B) Estimate(int w, int h, float[] r, float[] g, float[] b, float[] alpha, double regularization, double gradientWeight, CancellationToken ct)
    {
        int levels = (int)Math.Ceiling(Math.Log2(Math.Max(w, h)));
        // F and B interleaved per pixel: 6 floats (F rgb, B rgb).
        int pw = 1, ph = 1;
        var fb = new float[6];
        {
            double mr = 0, mg = 0, mb = 0;
            for (int i = 0; i < r.Length; i++) { mr += r[i]; mg += g[i]; mb += b[i]; }
            mr /= r.Length; mg /= r.Length; mb /= r.Length;
            fb[0] = fb[3] = (float)mr; fb[1] = fb[4] = (float)mg; fb[2] = fb[5] = (float)mb;
        }
        for (int level = 0; level <= levels; level++)
        {
            ct.ThrowIfCancellationRequested();
            int lw = level == levels ? w : Math.Max(1, (int)Math.Round(Math.Pow(w, (double)level / levels)));
            int lh = level == levels ? h : Math.Max(1, (int)Math.Round(Math.Pow(h, (double)level / levels)));
            var img = new float[lw * lh * 3];
            var a = new float[lw * lh];
            for (int y = 0; y < lh; y++)
            {
                int sy = Math.Min(h - 1, (int)((long)y * h / lh));
                for (int x = 0; x < lw; x++)
                {
                    int sx = Math.Min(w - 1, (int)((long)x * w / lw));
                    int s = sy * w + sx, o = y * lw + x;
                    img[3 * o] = r[s]; img[3 * o + 1] = g[s]; img[3 * o + 2] = b[s];
                    a[o] = alpha[s];
                }
            }
            var next = new float[lw * lh * 6];
            for (int y = 0; y < lh; y++)
            {
                int sy = Math.Min(ph - 1, (int)((long)y * ph / lh));
                for (int x = 0; x < lw; x++)
                {
                    int sx = Math.Min(pw - 1, (int)((long)x * pw / lw));
                    fb.AsSpan((sy * pw + sx) * 6, 6).CopyTo(next.AsSpan((y * lw + x) * 6, 6));
                }
            }
            fb = next;
            pw = lw;
            ph = lh;
            int iterations = Math.Min(lw, lh) <= SmallSize ? SmallIterations : BigIterations;
            for (int it = 0; it < iterations; it++)
                for (int colour = 0; colour < 2; colour++)
                {
                    var cur = fb;
                    int c0 = colour;
                    Masks.Internal.ParallelRows.For(lh, lw * 12, (y0, y1) =>
                    {
                        for (int y = y0; y < y1; y++) UpdateRow(cur, img, a, lw, lh, y, (y + c0) & 1, (float)regularization, (float)gradientWeight);
                    });
                }
        }
        var fr = new float[w * h];
        var fg = new float[w * h];
        var fbl = new float[w * h];
        for (int i = 0; i < fr.Length; i++) { fr[i] = fb[6 * i]; fg[i] = fb[6 * i + 1]; fbl[i] = fb[6 * i + 2]; }
        return (fr, fg, fbl);
    }

    private static void UpdateRow(float[] fb, float[] img, float[] alpha, int w, int h, int y, int firstX, float reg, float gw)
    {
        for (int x = firstX; x < w; x += 2)
        {
            int i = y * w + x;
            float ai = alpha[i];
            float W = 0, f0 = 0, f1 = 0, f2 = 0, b0 = 0, b1 = 0, b2 = 0;
            for (int k = 0; k < 4; k++)
            {
                int jx = x + (k == 0 ? -1 : k == 1 ? 1 : 0), jy = y + (k == 2 ? -1 : k == 3 ? 1 : 0);
                if ((uint)jx >= (uint)w || (uint)jy >= (uint)h) continue;
                int j = jy * w + jx;
                float wt = reg + gw * Math.Abs(ai - alpha[j]);
                W += wt;
                var n = fb.AsSpan(6 * j, 6);
                f0 += wt * n[0]; f1 += wt * n[1]; f2 += wt * n[2];
                b0 += wt * n[3]; b1 += wt * n[4]; b2 += wt * n[5];
            }
            float a00 = ai * ai + W, a01 = ai * (1 - ai), a11 = (1 - ai) * (1 - ai) + W;
            float det = a00 * a11 - a01 * a01;
            float inv = det > 0 ? 1f / det : 0f;
            var p = fb.AsSpan(6 * i, 6);
            for (int c = 0; c < 3; c++)
            {
                float ic = img[3 * i + c];
                float rf = ai * ic + (c == 0 ? f0 : c == 1 ? f1 : f2);
                float rb = (1 - ai) * ic + (c == 0 ? b0 : c == 1 ? b1 : b2);
                float F = (a11 * rf - a01 * rb) * inv;
                float B = (a00 * rb - a01 * rf) * inv;
                p[c] = Math.Clamp(F, 0f, 1f);
                p[3 + c] = Math.Clamp(B, 0f, 1f);
            }
        }
    }
}

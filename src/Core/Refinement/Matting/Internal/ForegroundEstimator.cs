using SegPlugins.Core.Imaging;

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

    /// <summary>
    /// Levels at least this large (both sides) are updated only near fractional alpha (<see cref="ActiveRadius"/>): the
    /// colours are read back only where alpha is fractional, and a level's updates reach few pixels.
    /// </summary>
    private const int BandedSize = 64;

    /// <summary>
    /// Reach of the updates that the colours at a fractional pixel depend on, in pixels of a level: 2 iterations of a
    /// red and a black half-sweep reach 4 pixels per level, plus half the next coarser level's reach and 1 for its
    /// nearest-neighbour sampling: r = 4 + r/2 + 1 gives 10; 12 leaves room for the levels' uneven scale steps.
    /// </summary>
    private const int ActiveRadius = 12;

    /// <summary>Side of the tiles of <see cref="EstimateTiled"/>, and the margin each tile sees around it.</summary>
    private const int Tile = 512, Margin = 32;

    /// <summary>Reads the colours (0..1) of pixels x0.. x0+r.Length-1 of frame row y.</summary>
    public delegate void RowReader(int x0, int y, Span<float> r, Span<float> g, Span<float> b);

    /// <summary>A <see cref="RowReader"/> over planar colours of row length <paramref name="w"/>.</summary>
    public static RowReader Planar(int w, float[] r, float[] g, float[] b) => (x0, y, dr, dg, db) =>
    {
        int src = y * w + x0;
        r.AsSpan(src, dr.Length).CopyTo(dr); g.AsSpan(src, dg.Length).CopyTo(dg); b.AsSpan(src, db.Length).CopyTo(db);
    };

    /// <summary>A <see cref="RowReader"/> over a BGRA image, on the same 0..1 scale as <see cref="MatteLevel.FromImage"/> (byte · (1/255)).</summary>
    public static RowReader FromImage(BgraImage image) => (x0, y, dr, dg, db) =>
    {
        var row = image.Row(y);
        const float s = 1f / 255f;
        for (int x = 0; x < dr.Length; x++)
        {
            int p = 4 * (x0 + x);
            db[x] = row[p] * s; dg[x] = row[p + 1] * s; dr[x] = row[p + 2] * s;
        }
    };

    /// <summary>
    /// Receives one tile's estimate: the tile [x0,x1) x [y0,y1) of the frame, read from planar results of row length
    /// <paramref name="stride"/> whose first element is frame pixel (<paramref name="ox"/>, <paramref name="oy"/>).
    /// Tiles are handed over in parallel and never overlap.
    /// </summary>
    public delegate void TileSink(int x0, int y0, int x1, int y1, float[] r, float[] g, float[] b, int stride, int ox, int oy);

    /// <summary>
    /// Foreground colours where alpha is fractional, tile by tile, into full-frame copies of the colours: each tile holding
    /// a fractional alpha is estimated with a margin around it, and the rest keeps the image's colours.
    /// </summary>
    public static (float[] R, float[] G, float[] B) EstimateTiled(int w, int h, float[] r, float[] g, float[] b, float[] alpha, double regularization, double gradientWeight, CancellationToken ct)
    {
        if ((long)w * h <= (long)Tile * Tile) return Estimate(w, h, r, g, b, alpha, regularization, gradientWeight, ct);
        var fr = (float[])r.Clone();
        var fg = (float[])g.Clone();
        var fb = (float[])b.Clone();
        ForEachTile(w, h, Planar(w, r, g, b), alpha, regularization, gradientWeight, (x0, y0, x1, y1, er, eg, eb, stride, ox, oy) =>
        {
            for (int y = y0; y < y1; y++)
            {
                int src = (y - oy) * stride + (x0 - ox), dst = y * w + x0;
                er.AsSpan(src, x1 - x0).CopyTo(fr.AsSpan(dst)); eg.AsSpan(src, x1 - x0).CopyTo(fg.AsSpan(dst)); eb.AsSpan(src, x1 - x0).CopyTo(fb.AsSpan(dst));
            }
        }, ct);
        return (fr, fg, fb);
    }

    /// <summary>
    /// Foreground colours where alpha is fractional, tile by tile: each tile holding a fractional alpha is estimated with a
    /// margin around it (F and B are local: the finest levels' smoothness reaches a few pixels) and handed to
    /// <paramref name="sink"/>; tiles without one are skipped. Memory and time follow the matte's edge, not the frame: a
    /// 12 MP frame's full pyramid would hold 16 floats per pixel. A frame of one tile or less is estimated whole.
    /// </summary>
    public static void ForEachTile(int w, int h, RowReader colours, float[] alpha, double regularization, double gradientWeight, TileSink sink, CancellationToken ct)
    {
        if ((long)w * h <= (long)Tile * Tile)
        {
            var r = new float[w * h]; var g = new float[w * h]; var b = new float[w * h];
            for (int y = 0; y < h; y++) colours(0, y, r.AsSpan(y * w, w), g.AsSpan(y * w, w), b.AsSpan(y * w, w));
            var (wr, wg, wb) = Estimate(w, h, r, g, b, alpha, regularization, gradientWeight, ct);
            sink(0, 0, w, h, wr, wg, wb, w, 0, 0);
            return;
        }
        int tx = (w + Tile - 1) / Tile, ty = (h + Tile - 1) / Tile;
        // Scratch buffers are shared out one per running tile and reused tile after tile (the tiles' pyramids would otherwise
        // allocate about 30 MB each); a pool rather than per-worker state, because Parallel.For restarts its workers.
        var pool = new System.Collections.Concurrent.ConcurrentBag<Scratch>();
        System.Threading.Tasks.Parallel.For(0, tx * ty, new ParallelOptions { CancellationToken = ct }, t =>
        {
            if (!pool.TryTake(out var scratch)) scratch = new Scratch();
            try { EstimateTile(t, scratch); }
            finally { pool.Add(scratch); }
        });

        void EstimateTile(int t, Scratch scratch)
        {
            int x0 = t % tx * Tile, y0 = t / tx * Tile, x1 = Math.Min(w, x0 + Tile), y1 = Math.Min(h, y0 + Tile);
            bool fractional = false;
            for (int y = y0; y < y1 && !fractional; y++)
                for (int x = x0; x < x1; x++) { float a = alpha[y * w + x]; if (a > 0f && a < 1f) { fractional = true; break; } }
            if (!fractional) return;
            int cx0 = Math.Max(0, x0 - Margin), cy0 = Math.Max(0, y0 - Margin), cx1 = Math.Min(w, x1 + Margin), cy1 = Math.Min(h, y1 + Margin);
            int cw = cx1 - cx0, ch = cy1 - cy0;
            var cr = Scratch.Ensure(ref scratch.CropR, cw * ch); var cg = Scratch.Ensure(ref scratch.CropG, cw * ch);
            var cb = Scratch.Ensure(ref scratch.CropB, cw * ch); var ca = Scratch.Ensure(ref scratch.CropA, cw * ch);
            for (int y = 0; y < ch; y++)
            {
                colours(cx0, cy0 + y, cr.AsSpan(y * cw, cw), cg.AsSpan(y * cw, cw), cb.AsSpan(y * cw, cw));
                alpha.AsSpan((cy0 + y) * w + cx0, cw).CopyTo(ca.AsSpan(y * cw));
            }
            var (er, eg, eb) = Estimate(cw, ch, cr, cg, cb, ca, regularization, gradientWeight, ct, scratch);
            sink(x0, y0, x1, y1, er, eg, eb, cw, cx0, cy0);
        }
    }

    /// <summary>Foreground colours (planar, 0..1) of an image (planar, 0..1) with matte <paramref name="alpha"/>.</summary>
    public static (float[] R, float[] G, float[] B) Estimate(int w, int h, float[] r, float[] g, float[] b, float[] alpha, double regularization, double gradientWeight, CancellationToken ct) =>
        Estimate(w, h, r, g, b, alpha, regularization, gradientWeight, ct, new Scratch());

    /// <summary>
    /// As <see cref="Estimate(int, int, float[], float[], float[], float[], double, double, CancellationToken)"/>, in the
    /// buffers of <paramref name="scratch"/> (its result arrays are the scratch's: they may be longer than w*h and are
    /// overwritten by the next call). Only the first w*h elements of the inputs are read.
    /// </summary>
    internal static (float[] R, float[] G, float[] B) Estimate(int w, int h, float[] r, float[] g, float[] b, float[] alpha, double regularization, double gradientWeight, CancellationToken ct, Scratch scratch, bool banded = true)
    {
        int n = w * h;
        int levels = (int)Math.Ceiling(Math.Log2(Math.Max(w, h)));
        // Every level fits in the finest level's buffers: they are sized once and each level uses a prefix.
        var img = Scratch.Ensure(ref scratch.Img, 3 * n);
        var a = Scratch.Ensure(ref scratch.Alpha, n);
        var fb = Scratch.Ensure(ref scratch.Fb0, 6 * n);
        var next = Scratch.Ensure(ref scratch.Fb1, 6 * n);
        // F and B interleaved per pixel: 6 floats (F rgb, B rgb).
        int pw = 1, ph = 1;
        {
            double mr = 0, mg = 0, mb = 0;
            for (int i = 0; i < n; i++) { mr += r[i]; mg += g[i]; mb += b[i]; }
            mr /= n; mg /= n; mb /= n;
            fb[0] = fb[3] = (float)mr; fb[1] = fb[4] = (float)mg; fb[2] = fb[5] = (float)mb;
        }
        for (int level = 0; level <= levels; level++)
        {
            ct.ThrowIfCancellationRequested();
            int lw = level == levels ? w : Math.Max(1, (int)Math.Round(Math.Pow(w, (double)level / levels)));
            int lh = level == levels ? h : Math.Max(1, (int)Math.Round(Math.Pow(h, (double)level / levels)));
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
            for (int y = 0; y < lh; y++)
            {
                int sy = Math.Min(ph - 1, (int)((long)y * ph / lh));
                for (int x = 0; x < lw; x++)
                {
                    int sx = Math.Min(pw - 1, (int)((long)x * pw / lw));
                    fb.AsSpan((sy * pw + sx) * 6, 6).CopyTo(next.AsSpan((y * lw + x) * 6, 6));
                }
            }
            (fb, next) = (next, fb);
            pw = lw;
            ph = lh;
            int iterations = Math.Min(lw, lh) <= SmallSize ? SmallIterations : BigIterations;
            var active = banded && Math.Min(lw, lh) >= BandedSize ? ActivePixels(w, h, alpha, lw, lh, scratch) : null;
            for (int it = 0; it < iterations; it++)
                for (int colour = 0; colour < 2; colour++)
                {
                    var cur = fb;
                    int c0 = colour;
                    Masks.Internal.ParallelRows.For(lh, lw * 12, (y0, y1) =>
                    {
                        for (int y = y0; y < y1; y++)
                        {
                            if (active is null) UpdateRow(cur, img, a, lw, lh, y, (y + c0) & 1, (float)regularization, (float)gradientWeight, default);
                            else if (active.RowLength(y) > 0) UpdateRow(cur, img, a, lw, lh, y, (y + c0) & 1, (float)regularization, (float)gradientWeight, active.Row(y));
                        }
                    });
                }
        }
        var fr = Scratch.Ensure(ref scratch.OutR, n);
        var fg = Scratch.Ensure(ref scratch.OutG, n);
        var fbl = Scratch.Ensure(ref scratch.OutB, n);
        for (int i = 0; i < n; i++) { fr[i] = fb[6 * i]; fg[i] = fb[6 * i + 1]; fbl[i] = fb[6 * i + 2]; }
        return (fr, fg, fbl);
    }

    /// <summary>
    /// The pixels of a <paramref name="lw"/> x <paramref name="lh"/> level within <see cref="ActiveRadius"/> of a pixel
    /// that holds a fractional alpha of the full-resolution <paramref name="alpha"/> (w x h) at the level's scale.
    /// </summary>
    private static ActiveSet ActivePixels(int w, int h, float[] alpha, int lw, int lh, Scratch scratch)
    {
        var seed = Scratch.Ensure(ref scratch.Seed, lw * lh);
        var rows = Scratch.Ensure(ref scratch.RowCount, lw * lh);
        seed.AsSpan(0, lw * lh).Clear();
        for (int y = 0; y < h; y++)
        {
            int ly = (int)((long)y * lh / h), o = y * w;
            for (int x = 0; x < w; x++)
            {
                float v = alpha[o + x];
                if (v > 0f && v < 1f) seed[ly * lw + (int)((long)x * lw / w)] = 1;
            }
        }
        // Dilation by a square of side 2r+1: a running count along each row, then along each column.
        const int R = ActiveRadius;
        for (int y = 0; y < lh; y++)
        {
            var src = seed.AsSpan(y * lw, lw);
            var dst = rows.AsSpan(y * lw, lw);
            int count = 0;
            for (int x = 0; x < Math.Min(R, lw); x++) count += src[x];
            for (int x = 0; x < lw; x++)
            {
                if (x + R < lw) count += src[x + R];
                if (x - R - 1 >= 0) count -= src[x - R - 1];
                dst[x] = (byte)(count > 0 ? 1 : 0);
            }
        }
        var set = new ActiveSet(lw, lh, seed);
        for (int x = 0; x < lw; x++)
        {
            int count = 0;
            for (int y = 0; y < Math.Min(R, lh); y++) count += rows[y * lw + x];
            for (int y = 0; y < lh; y++)
            {
                if (y + R < lh) count += rows[(y + R) * lw + x];
                if (y - R - 1 >= 0) count -= rows[(y - R - 1) * lw + x];
                seed[y * lw + x] = (byte)(count > 0 ? 1 : 0);
            }
        }
        set.CountRows();
        return set;
    }

    /// <summary>A byte per level pixel (1: updated) and the number of updated pixels per row.</summary>
    private sealed class ActiveSet(int w, int h, byte[] flags)
    {
        private readonly int[] _rowCounts = new int[h];

        public ReadOnlySpan<byte> Row(int y) => flags.AsSpan(y * w, w);

        public int RowLength(int y) => _rowCounts[y];

        public void CountRows()
        {
            for (int y = 0; y < h; y++) _rowCounts[y] = w - flags.AsSpan(y * w, w).Count((byte)0);
        }
    }

    /// <summary>Buffers of one worker, grown to the largest tile it has seen and reused.</summary>
    internal sealed class Scratch
    {
        public float[]? Img, Alpha, Fb0, Fb1, OutR, OutG, OutB, CropR, CropG, CropB, CropA;
        public byte[]? Seed, RowCount;

        /// <summary>The buffer, reallocated (to exactly <paramref name="length"/>) only when it is shorter.</summary>
        public static byte[] Ensure(ref byte[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : buffer = new byte[length];

        /// <summary>The buffer, reallocated (to exactly <paramref name="length"/>) only when it is shorter.</summary>
        public static float[] Ensure(ref float[]? buffer, int length) => buffer is { } b && b.Length >= length ? b : buffer = new float[length];
    }

    /// <summary>Updates every other pixel of row <paramref name="y"/>, only where <paramref name="active"/> is set (when it is not empty).</summary>
    private static void UpdateRow(float[] fb, float[] img, float[] alpha, int w, int h, int y, int firstX, float reg, float gw, ReadOnlySpan<byte> active)
    {
        bool all = active.IsEmpty;
        for (int x = firstX; x < w; x += 2)
        {
            if (!all && active[x] == 0) continue;
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

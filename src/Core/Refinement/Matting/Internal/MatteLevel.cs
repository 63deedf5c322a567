using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>One level of the matting pyramid: planar colours on the 0..1 scale and the trimap.</summary>
internal sealed class MatteLevel
{
    public MatteLevel(int width, int height, float[] r, float[] g, float[] b, byte[] trimap)
    {
        Width = width;
        Height = height;
        R = r;
        G = g;
        B = b;
        Trimap = trimap;
    }

    public int Width { get; }
    public int Height { get; }
    public float[] R { get; }
    public float[] G { get; }
    public float[] B { get; }
    public byte[] Trimap { get; }

    public static MatteLevel FromImage(BgraImage image, byte[] trimap)
    {
        int w = image.Width, h = image.Height;
        var r = new float[w * h];
        var g = new float[w * h];
        var b = new float[w * h];
        const float s = 1f / 255f;
        Masks.Internal.ParallelRows.For(h, w, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var row = image.Row(y);
                int o = y * w;
                for (int x = 0; x < w; x++)
                {
                    b[o + x] = row[4 * x] * s;
                    g[o + x] = row[4 * x + 1] * s;
                    r[o + x] = row[4 * x + 2] * s;
                }
            }
        });
        return new MatteLevel(w, h, r, g, b, trimap);
    }

    /// <summary>
    /// Half resolution (ceil): colours are 2x2 means; a coarse pixel is known only when all its fine pixels agree.
    /// </summary>
    public MatteLevel Half()
    {
        int w = (Width + 1) / 2, h = (Height + 1) / 2;
        var r = new float[w * h];
        var g = new float[w * h];
        var b = new float[w * h];
        var t = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            int fy0 = 2 * y, fy1 = Math.Min(2 * y + 1, Height - 1);
            for (int x = 0; x < w; x++)
            {
                int fx0 = 2 * x, fx1 = Math.Min(2 * x + 1, Width - 1);
                int i00 = fy0 * Width + fx0, i01 = fy0 * Width + fx1, i10 = fy1 * Width + fx0, i11 = fy1 * Width + fx1;
                int o = y * w + x;
                r[o] = 0.25f * (R[i00] + R[i01] + R[i10] + R[i11]);
                g[o] = 0.25f * (G[i00] + G[i01] + G[i10] + G[i11]);
                b[o] = 0.25f * (B[i00] + B[i01] + B[i10] + B[i11]);
                byte a = Trimap[i00];
                t[o] = a != Matting.Trimap.Unknown && Trimap[i01] == a && Trimap[i10] == a && Trimap[i11] == a ? a : Matting.Trimap.Unknown;
            }
        }
        return new MatteLevel(w, h, r, g, b, t);
    }

    /// <summary>Bilinear sample of a coarse alpha (from <see cref="Half"/>) at the unknown pixels of this level; known pixels get 0 or 1.</summary>
    public float[] StartFrom(float[] coarse, int cw, int ch)
    {
        var a = new float[Width * Height];
        for (int y = 0; y < Height; y++)
        {
            float sy = Math.Clamp((y + 0.5f) * 0.5f - 0.5f, 0, ch - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, ch - 1);
            float fy = sy - y0;
            for (int x = 0; x < Width; x++)
            {
                int i = y * Width + x;
                byte t = Trimap[i];
                if (t != Matting.Trimap.Unknown) { a[i] = t == Matting.Trimap.Foreground ? 1f : 0f; continue; }
                float sx = Math.Clamp((x + 0.5f) * 0.5f - 0.5f, 0, cw - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, cw - 1);
                float fx = sx - x0;
                float top = coarse[y0 * cw + x0] + fx * (coarse[y0 * cw + x1] - coarse[y0 * cw + x0]);
                float bot = coarse[y1 * cw + x0] + fx * (coarse[y1 * cw + x1] - coarse[y1 * cw + x0]);
                a[i] = Math.Clamp(top + fy * (bot - top), 0f, 1f);
            }
        }
        return a;
    }

    /// <summary>Alpha of the known pixels, 0.5 at the unknown ones (the start without a coarse level).</summary>
    public float[] FlatStart()
    {
        var a = new float[Width * Height];
        for (int i = 0; i < a.Length; i++)
            a[i] = Trimap[i] switch { Matting.Trimap.Foreground => 1f, Matting.Trimap.Background => 0f, _ => 0.5f };
        return a;
    }
}

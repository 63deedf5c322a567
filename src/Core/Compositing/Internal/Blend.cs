using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Compositing.Internal;

/// <summary>Supplies one background row (BGRA) at a time, so no full-size background copy is needed.</summary>
internal sealed class BackgroundRows
{
    private enum Kind { Transparent, Solid, Cover, InPlace }
    private Kind _kind;
    private uint _solid;
    private BgraImage? _pic;
    private int[] _cx0 = Array.Empty<int>(), _cx1 = Array.Empty<int>(), _cfx = Array.Empty<int>();
    private int[] _cy0 = Array.Empty<int>(), _cy1 = Array.Empty<int>(), _cfy = Array.Empty<int>();

    public static BackgroundRows Transparent { get; } = new() { _kind = Kind.Transparent };
    /// <summary>The destination already holds the background (blurred copy).</summary>
    public static BackgroundRows InPlace { get; } = new() { _kind = Kind.InPlace };

    public static BackgroundRows Solid(byte b, byte g, byte r, byte a) =>
        new() { _kind = Kind.Solid, _solid = b | (uint)g << 8 | (uint)r << 16 | (uint)a << 24 };

    /// <summary>
    /// Scale to cover: s = max(W/w, H/h), centred. Destination pixel centre x+0.5 maps to source
    /// ox + (x+0.5)/s - 0.5, sampled bilinearly with 8-bit weights and clamped at the source edges.
    /// </summary>
    public static BackgroundRows Cover(BgraImage pic, int width, int height)
    {
        double s = Math.Max((double)width / pic.Width, (double)height / pic.Height);
        double ox = (pic.Width - width / s) / 2, oy = (pic.Height - height / s) / 2;
        var r = new BackgroundRows { _kind = Kind.Cover, _pic = pic };
        Axis(width, pic.Width, s, ox, out r._cx0, out r._cx1, out r._cfx);
        Axis(height, pic.Height, s, oy, out r._cy0, out r._cy1, out r._cfy);
        return r;
    }

    private static void Axis(int n, int src, double s, double o, out int[] i0, out int[] i1, out int[] f)
    {
        i0 = new int[n]; i1 = new int[n]; f = new int[n];
        for (int i = 0; i < n; i++)
        {
            double u = o + (i + 0.5) / s - 0.5;
            u = Math.Clamp(u, 0, src - 1);
            int a = (int)Math.Floor(u);
            i0[i] = a;
            i1[i] = Math.Min(a + 1, src - 1);
            f[i] = (int)Math.Round((u - a) * 256);
        }
    }

    public bool IsInPlace => _kind == Kind.InPlace;

    /// <summary>Fills <paramref name="row"/> (width*4 bytes) with background row y.</summary>
    public void Fill(int y, Span<byte> row)
    {
        switch (_kind)
        {
            case Kind.Transparent: row.Clear(); break;
            case Kind.Solid: System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(row).Fill(_solid); break;
            case Kind.Cover:
                {
                    var r0 = _pic!.Row(_cy0[y]);
                    var r1 = _pic.Row(_cy1[y]);
                    int fy = _cfy[y], gy = 256 - fy;
                    int n = row.Length / 4;
                    for (int x = 0; x < n; x++)
                    {
                        int a = _cx0[x] * 4, b = _cx1[x] * 4, fx = _cfx[x], gx = 256 - fx;
                        for (int c = 0; c < 4; c++)
                        {
                            int top = r0[a + c] * gx + r0[b + c] * fx;
                            int bot = r1[a + c] * gx + r1[b + c] * fx;
                            row[x * 4 + c] = (byte)((top * gy + bot * fy + 32768) >> 16);
                        }
                    }
                    break;
                }
        }
    }
}

internal static class Blend
{
    /// <summary>dst = F over background, row-parallel. F comes from <paramref name="src"/> (or the decontaminated estimate).</summary>
    public static void Run(BgraImage src, byte[] mask, BgraImage dst, BackgroundEstimate? est, BackgroundRows bg)
    {
        int w = src.Width;
        ParallelRows.For(src.Height, (long)w * 4, (y0, y1) =>
        {
            var bgRow = bg.IsInPlace ? null : new byte[w * 4];
            var fg = new byte[w * 4];
            for (int y = y0; y < y1; y++)
            {
                var s = src.Row(y);
                var d = dst.Row(y);
                var m = mask.AsSpan(y * w, w);
                ReadOnlySpan<byte> f = s;
                if (est is not null && est.CoversRow(y)) { s.CopyTo(fg); est.Decontaminate(y, m, fg); f = fg; }
                ReadOnlySpan<byte> b;
                if (bgRow is null) b = d; // background already in dst; each pixel is read before it is written
                else { bg.Fill(y, bgRow); b = bgRow; }
                Pixels(f, m, b, d);
            }
        });
    }

    /// <summary>Straight-alpha "over" of one row; see <see cref="Compositor"/> for the rounding.</summary>
    internal static void Pixels(ReadOnlySpan<byte> f, ReadOnlySpan<byte> mask, ReadOnlySpan<byte> b, Span<byte> d)
    {
        for (int x = 0; x < mask.Length; x++)
        {
            int i = x * 4;
            int a = (mask[x] * f[i + 3] + 127) / 255;
            int ba = b[i + 3];
            if (a == 255) { d[i] = f[i]; d[i + 1] = f[i + 1]; d[i + 2] = f[i + 2]; d[i + 3] = 255; continue; }
            if (a == 0)
            {
                if (ba == 0) { d[i] = f[i]; d[i + 1] = f[i + 1]; d[i + 2] = f[i + 2]; d[i + 3] = 0; } // keep colour: a later alpha change stays fringe-free
                else { d[i] = b[i]; d[i + 1] = b[i + 1]; d[i + 2] = b[i + 2]; d[i + 3] = (byte)ba; }
                continue;
            }
            int na = 255 - a;
            if (ba == 255)
            {
                d[i] = (byte)((f[i] * a + b[i] * na + 127) / 255);
                d[i + 1] = (byte)((f[i + 1] * a + b[i + 1] * na + 127) / 255);
                d[i + 2] = (byte)((f[i + 2] * a + b[i + 2] * na + 127) / 255);
                d[i + 3] = 255;
                continue;
            }
            // Coverage weights on a 255² scale: foreground a·255, background ba·(255-a).
            int wf = a * 255, wb = ba * na, wt = wf + wb;
            int half = wt / 2;
            d[i] = (byte)((f[i] * wf + b[i] * wb + half) / wt);
            d[i + 1] = (byte)((f[i + 1] * wf + b[i + 1] * wb + half) / wt);
            d[i + 2] = (byte)((f[i + 2] * wf + b[i + 2] * wb + half) / wt);
            d[i + 3] = (byte)((wt + 127) / 255);
        }
    }
}

/// <summary>
/// Local background colour for edge decontamination: the mean colour of fully unselected pixels (alpha 0) in a
/// (2r+1)² window, as box sums of colour·w and w. Built only over the bounding box of partly selected pixels.
/// </summary>
internal sealed class BackgroundEstimate
{
    private PixelRect _rect;
    private float[] _b = Array.Empty<float>(), _g = Array.Empty<float>(), _r = Array.Empty<float>(), _w = Array.Empty<float>();

    public static BackgroundEstimate? Build(BgraImage image, SoftMask alpha, int radius)
    {
        int w = alpha.Width, h = alpha.Height;
        int top = -1, bottom = -1, left = w, right = -1;
        for (int y = 0; y < h; y++)
        {
            var row = alpha.Row(y);
            int first = row.IndexOfAnyExcept((byte)0, (byte)255);
            if (first < 0) continue;
            if (top < 0) top = y;
            bottom = y;
            left = Math.Min(left, first);
            right = Math.Max(right, row.LastIndexOfAnyExcept((byte)0, (byte)255));
        }
        if (top < 0) return null; // hard mask: nothing to decontaminate
        int x0 = Math.Max(0, left - radius), y0 = Math.Max(0, top - radius);
        int x1 = Math.Min(w, right + 1 + radius), y1 = Math.Min(h, bottom + 1 + radius);
        var e = new BackgroundEstimate { _rect = new PixelRect(x0, y0, x1 - x0, y1 - y0) };
        int cw = x1 - x0, ch = y1 - y0;
        int n = cw * ch;
        e._b = new float[n]; e._g = new float[n]; e._r = new float[n]; e._w = new float[n];
        for (int y = 0; y < ch; y++)
        {
            var a = alpha.Row(y0 + y);
            var s = image.Row(y0 + y);
            for (int x = 0; x < cw; x++)
            {
                if (a[x0 + x] != 0) continue;
                int i = y * cw + x, p = (x0 + x) * 4;
                e._b[i] = s[p]; e._g[i] = s[p + 1]; e._r[i] = s[p + 2]; e._w[i] = 1;
            }
        }
        BoxBlur.BoxSum(e._b, cw, ch, radius);
        BoxBlur.BoxSum(e._g, cw, ch, radius);
        BoxBlur.BoxSum(e._r, cw, ch, radius);
        BoxBlur.BoxSum(e._w, cw, ch, radius);
        return e;
    }

    public bool CoversRow(int y) => y >= _rect.Y && y < _rect.Bottom;

    /// <summary>F = (I - (1-a)·B) / a for partly selected pixels with background in reach, clamped to 0..255.</summary>
    public void Decontaminate(int y, ReadOnlySpan<byte> mask, Span<byte> row)
    {
        int cw = _rect.Width;
        int off = (y - _rect.Y) * cw;
        for (int x = _rect.X; x < _rect.Right; x++)
        {
            byte m = mask[x];
            if (m == 0 || m == 255) continue;
            int i = off + x - _rect.X;
            float wsum = _w[i];
            if (wsum < 0.5f) continue;
            float a = m / 255f, inv = 1f / a, k = (1f - a) / wsum;
            int p = x * 4;
            row[p] = Clamp((row[p] - k * _b[i]) * inv);
            row[p + 1] = Clamp((row[p + 1] - k * _g[i]) * inv);
            row[p + 2] = Clamp((row[p + 2] - k * _r[i]) * inv);
        }
    }

    private static byte Clamp(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);
}

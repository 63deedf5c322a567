using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    /// <summary>
    /// A blurred copy of <paramref name="image"/> for large σ: average f x f blocks (f ≈ σ/2), blur the small image
    /// with the remaining σ, and sample it back bilinearly row by row. Block averaging and bilinear sampling add
    /// a variance of about f²/4 px², which is taken off the small blur so the total stays ≈ σ². Costs one read
    /// of the image instead of six full-resolution passes, and needs no full-size buffer.
    /// </summary>
    public static BackgroundRows Blurred(BgraImage image, double sigma)
    {
        // Blocks stop growing at 256 px (16-bit row sums); the small blur takes the rest of σ.
        int f = Math.Clamp((int)(sigma / 2), 2, 256);
        int w = image.Width, h = image.Height;
        int sw = (w + f - 1) / f, sh = (h + f - 1) / f;
        var small = Reduce(image, f);
        double rest = Math.Sqrt(Math.Max(0, sigma * sigma - f * f / 4.0)) / f;
        BoxBlur.Blur(small.Pixels, 0, small.Stride, sw, sh, 4, BoxBlur.RadiusForSigma(rest), 3);
        var rows = new BackgroundRows { _kind = Kind.Cover, _pic = small };
        Axis(w, sw, f, 0, out rows._cx0, out rows._cx1, out rows._cfx);
        Axis(h, sh, f, 0, out rows._cy0, out rows._cy1, out rows._cfy);
        return rows;
    }

    /// <summary>
    /// Mean of each f x f block (partial blocks at the right and bottom edges average what they cover), rounded to
    /// nearest. Rows of a block are first summed in 16 bits with vector adds, then each block sums its columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static BgraImage Reduce(BgraImage image, int f)
    {
        if (f < 1 || f > 257) throw new ArgumentOutOfRangeException(nameof(f), "block sums must fit 16 bits per row pass");
        int w = image.Width, h = image.Height;
        int sw = (w + f - 1) / f, sh = (h + f - 1) / f;
        var small = new BgraImage(sw, sh);
        ParallelRows.For(sh, (long)w * f * 4, (r0, r1) =>
        {
            var acc = new ushort[w * 4];
            for (int sy = r0; sy < r1; sy++)
            {
                Array.Clear(acc);
                int ya = sy * f, yb = Math.Min(h, ya + f);
                for (int y = ya; y < yb; y++) AddRow(image.Row(y), acc);
                var dst = small.Row(sy);
                for (int sx = 0; sx < sw; sx++)
                {
                    int xa = sx * f, xb = Math.Min(w, xa + f);
                    int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                    for (int x = xa; x < xb; x++)
                    {
                        int p = x * 4;
                        s0 += acc[p]; s1 += acc[p + 1]; s2 += acc[p + 2]; s3 += acc[p + 3];
                    }
                    int n = (xb - xa) * (yb - ya), half = n / 2, o = sx * 4;
                    dst[o] = (byte)((s0 + half) / n);
                    dst[o + 1] = (byte)((s1 + half) / n);
                    dst[o + 2] = (byte)((s2 + half) / n);
                    dst[o + 3] = (byte)((s3 + half) / n);
                }
            }
        });
        return small;
    }

    private static void AddRow(ReadOnlySpan<byte> row, ushort[] acc)
    {
        int n = row.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int bn = Vector<byte>.Count, un = Vector<ushort>.Count;
            var a = acc.AsSpan();
            for (; i <= n - bn; i += bn)
            {
                Vector.Widen(new Vector<byte>(row.Slice(i)), out var lo, out var hi);
                (new Vector<ushort>(a.Slice(i)) + lo).CopyTo(a.Slice(i));
                (new Vector<ushort>(a.Slice(i + un)) + hi).CopyTo(a.Slice(i + un));
            }
        }
        for (; i < n; i++) acc[i] += row[i];
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

    /// <summary>Per-thread scratch length for <see cref="Fill(int, int, int, Span{byte}, int[])"/>.</summary>
    public int ScratchLength => _pic is null ? 0 : _pic.Width * 4;

    /// <summary>Fills <paramref name="row"/> (width*4 bytes) with background row y; <paramref name="scratch"/> holds <see cref="ScratchLength"/> ints.</summary>
    public void Fill(int y, Span<byte> row, int[] scratch) => Fill(y, 0, row.Length / 4, row, scratch);

    /// <summary>Fills <paramref name="row"/> ((x1 - x0)*4 bytes) with pixels [x0, x1) of background row y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void Fill(int y, int x0, int x1, Span<byte> row, int[] scratch)
    {
        switch (_kind)
        {
            case Kind.Transparent: row.Clear(); break;
            case Kind.Solid: MemoryMarshal.Cast<byte, uint>(row).Fill(_solid); break;
            case Kind.Cover:
                {
                    if (x1 <= x0) return;
                    // Vertical blend once per source pixel of the two rows, then horizontal per output pixel.
                    var r0 = _pic!.Row(_cy0[y]);
                    var r1 = _pic.Row(_cy1[y]);
                    int fy = _cfy[y], gy = 256 - fy;
                    int lo = _cx0[x0] * 4, hi = _cx1[x1 - 1] * 4 + 4;
                    VerticalBlend(r0.Slice(lo, hi - lo), r1.Slice(lo, hi - lo), gy, fy, scratch.AsSpan(lo, hi - lo));
                    fixed (int* v = scratch)
                    fixed (byte* d = row)
                    {
                        int x = x0;
                        if (Vector128.IsHardwareAccelerated)
                        {
                            var round = Vector128.Create(32768);
                            for (; x < x1; x++)
                            {
                                int fx = _cfx[x];
                                var va = Vector128.Load(v + _cx0[x] * 4);
                                var vb = Vector128.Load(v + _cx1[x] * 4);
                                var r = (va * (256 - fx) + vb * fx + round) >>> 16;
                                var b8 = Vector128.Narrow(Vector128.Narrow(r, r), Vector128.Narrow(r, r));
                                Unsafe.WriteUnaligned(d + (x - x0) * 4, b8.AsUInt32().ToScalar());
                            }
                        }
                        for (; x < x1; x++)
                        {
                            int a = _cx0[x] * 4, b = _cx1[x] * 4, fx = _cfx[x], gx = 256 - fx;
                            int o = (x - x0) * 4;
                            d[o] = (byte)((v[a] * gx + v[b] * fx + 32768) >> 16);
                            d[o + 1] = (byte)((v[a + 1] * gx + v[b + 1] * fx + 32768) >> 16);
                            d[o + 2] = (byte)((v[a + 2] * gx + v[b + 2] * fx + 32768) >> 16);
                            d[o + 3] = (byte)((v[a + 3] * gx + v[b + 3] * fx + 32768) >> 16);
                        }
                    }
                    break;
                }
        }
    }

    /// <summary>Per-pixel scalar form of <see cref="Fill(int, int, int, Span{byte}, int[])"/>; the reference for tests.</summary>
    internal void FillReference(int y, Span<byte> row)
    {
        if (_kind != Kind.Cover) { Fill(y, row, new int[ScratchLength]); return; }
        var r0 = _pic!.Row(_cy0[y]);
        var r1 = _pic.Row(_cy1[y]);
        int fy = _cfy[y], gy = 256 - fy;
        for (int x = 0; x < row.Length / 4; x++)
        {
            int a = _cx0[x] * 4, b = _cx1[x] * 4, fx = _cfx[x], gx = 256 - fx;
            for (int c = 0; c < 4; c++)
            {
                int va = r0[a + c] * gy + r1[a + c] * fy, vb = r0[b + c] * gy + r1[b + c] * fy;
                row[x * 4 + c] = (byte)((va * gx + vb * fx + 32768) >> 16);
            }
        }
    }

    /// <summary>v = r0·gy + r1·fy per channel byte (8-bit weights summing to 256).</summary>
    private static void VerticalBlend(ReadOnlySpan<byte> r0, ReadOnlySpan<byte> r1, int gy, int fy, Span<int> v)
    {
        int n = r0.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int bn = Vector<byte>.Count, ni = Vector<int>.Count;
            var g = new Vector<ushort>((ushort)gy);
            var f = new Vector<ushort>((ushort)fy);
            for (; i <= n - bn; i += bn)
            {
                Vector.Widen(new Vector<byte>(r0.Slice(i)), out var a0, out var a1);
                Vector.Widen(new Vector<byte>(r1.Slice(i)), out var b0, out var b1);
                // 255·256 fits 16 bits only just; widen before adding.
                Vector.Widen(a0 * g, out var p0, out var p1);
                Vector.Widen(b0 * f, out var q0, out var q1);
                Vector.AsVectorInt32(p0 + q0).CopyTo(v.Slice(i));
                Vector.AsVectorInt32(p1 + q1).CopyTo(v.Slice(i + ni));
                Vector.Widen(a1 * g, out p0, out p1);
                Vector.Widen(b1 * f, out q0, out q1);
                Vector.AsVectorInt32(p0 + q0).CopyTo(v.Slice(i + 2 * ni));
                Vector.AsVectorInt32(p1 + q1).CopyTo(v.Slice(i + 3 * ni));
            }
        }
        for (; i < n; i++) v[i] = r0[i] * gy + r1[i] * fy;
    }
}

internal static class Blend
{
    /// <summary>
    /// dst = F over background, row-parallel. F comes from <paramref name="src"/> (or the decontaminated estimate).
    /// Each row is split into runs of fully selected, unselected and partly selected pixels: fully selected opaque
    /// runs are copies and need no background; unselected runs are the background itself where it is not fully
    /// transparent; everything else goes through <see cref="Pixels"/>, which defines the result.
    /// </summary>
    public static void Run(BgraImage src, byte[] mask, BgraImage dst, BackgroundEstimate? est, BackgroundRows bg)
    {
        int w = src.Width;
        ParallelRows.For(src.Height, (long)w * 4, (y0, y1) =>
        {
            var bgRow = bg.IsInPlace ? null : new byte[w * 4];
            var scratch = new int[bg.ScratchLength];
            var fg = new byte[w * 4];
            for (int y = y0; y < y1; y++)
            {
                var s = src.Row(y);
                var d = dst.Row(y);
                var m = mask.AsSpan(y * w, w);
                ReadOnlySpan<byte> f = s;
                if (est is not null && est.CoversRow(y)) { s.CopyTo(fg); est.Decontaminate(y, m, fg); f = fg; }
                RowRuns(y, f, m, d, bg, bgRow, scratch);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowRuns(int y, ReadOnlySpan<byte> f, ReadOnlySpan<byte> m, Span<byte> d, BackgroundRows bg, byte[]? bgRow, int[] scratch)
    {
        int w = m.Length;
        int x = 0;
        while (x < w)
        {
            byte v = m[x];
            int k = v is 0 or 255 ? m.Slice(x).IndexOfAnyExcept(v) : m.Slice(x).IndexOfAny((byte)0, (byte)255);
            int e = k < 0 ? w : x + k;
            var fs = f.Slice(x * 4, (e - x) * 4);
            var ds = d.Slice(x * 4, (e - x) * 4);
            var ms = m.Slice(x, e - x);
            if (v == 255 && AllOpaque(fs))
            {
                // (m & fa) == 255 for every pixel: the foreground as is.
                if (!fs.Overlaps(ds)) fs.CopyTo(ds);
            }
            else if (v == 0 && bgRow is not null && !fs.Overlaps(ds))
            {
                // a = 0: the background, except where it is fully transparent (then the colour is kept, alpha 0).
                bg.Fill(y, x, e, ds, scratch);
                FixTransparent(fs, ds);
            }
            else
            {
                ReadOnlySpan<byte> b = ds; // in place: the destination already holds the background; each pixel is read before it is written
                if (bgRow is not null)
                {
                    var bs = bgRow.AsSpan(x * 4, (e - x) * 4);
                    bg.Fill(y, x, e, bs, scratch);
                    b = bs;
                }
                Pixels(fs, ms, b, ds);
            }
            x = e;
        }
    }

    /// <summary>True when every pixel of the BGRA run has alpha 255.</summary>
    internal static bool AllOpaque(ReadOnlySpan<byte> bgra)
    {
        var px = MemoryMarshal.Cast<byte, uint>(bgra);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var am = new Vector<uint>(0xFF000000u);
            for (; i <= px.Length - Vector<uint>.Count; i += Vector<uint>.Count)
                if (!Vector.EqualsAll(new Vector<uint>(px.Slice(i)) & am, am)) return false;
        }
        for (; i < px.Length; i++) if (px[i] < 0xFF000000u) return false;
        return true;
    }

    /// <summary>Where the background pixel in <paramref name="d"/> has alpha 0, the result is the foreground colour with alpha 0.</summary>
    private static void FixTransparent(ReadOnlySpan<byte> f, Span<byte> d)
    {
        if (AllOpaque(d)) return;
        var f32 = MemoryMarshal.Cast<byte, uint>(f);
        var d32 = MemoryMarshal.Cast<byte, uint>(d);
        for (int i = 0; i < d32.Length; i++)
            if (d32[i] >> 24 == 0) d32[i] = f32[i] & 0x00FFFFFFu;
    }

    /// <summary>Straight-alpha "over" of one row; see <see cref="Compositor"/> for the rounding.</summary>
    internal static void Pixels(ReadOnlySpan<byte> f, ReadOnlySpan<byte> mask, ReadOnlySpan<byte> b, Span<byte> d)
    {
        var f32 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(f);
        var b32 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(b);
        var d32 = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(d);
        for (int x = 0; x < mask.Length; x++)
        {
            uint fp = f32[x];
            int m = mask[x];
            int fa = (int)(fp >> 24);
            // Whole-pixel shortcuts first: fully selected opaque pixels and unselected ones are most of any frame.
            if ((m & fa) == 255) { d32[x] = fp; continue; }
            int a = (m * fa + 127) / 255;
            uint bp = b32[x];
            int ba = (int)(bp >> 24);
            if (a == 0)
            {
                // Over a transparent background keep the colour: a later alpha change then stays fringe-free.
                d32[x] = ba == 0 ? fp & 0x00FFFFFFu : bp;
                continue;
            }
            int i = x * 4;
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
/// (2r+1)² window, as box sums of colour·w and w. Only 64x64 tiles holding partly selected pixels are computed,
/// each from its own window padded by r, so memory and time follow the length of the soft edge.
/// </summary>
internal sealed class BackgroundEstimate
{
    private const int T = Tiles.Size;
    private int _tw;
    private byte[]?[] _tiles = Array.Empty<byte[]?>();

    public static BackgroundEstimate? Build(BgraImage image, SoftMask alpha, int radius)
    {
        int w = alpha.Width, h = alpha.Height;
        int tw = (w + T - 1) / T, th = (h + T - 1) / T;
        var soft = new bool[tw * th];
        for (int y = 0; y < h; y++)
        {
            var row = alpha.Row(y);
            if (row.IndexOfAnyExcept((byte)0, (byte)255) < 0) continue;
            for (int tx = 0; tx < tw; tx++)
                if (!soft[y / T * tw + tx] && row.Slice(tx * T, Math.Min(T, w - tx * T)).IndexOfAnyExcept((byte)0, (byte)255) >= 0)
                    soft[y / T * tw + tx] = true;
        }
        var list = new List<int>();
        for (int i = 0; i < soft.Length; i++) if (soft[i]) list.Add(i);
        if (list.Count == 0) return null; // hard mask: nothing to decontaminate
        var active = list.ToArray();
        var e = new BackgroundEstimate { _tw = tw, _tiles = new byte[]?[tw * th] };
        ParallelRows.For(active.Length, (long)(T + 2 * radius) * (T + 2 * radius) * 16, (a0, a1) =>
        {
            for (int k = a0; k < a1; k++)
            {
                int t = active[k];
                int x0 = t % tw * T, y0 = t / tw * T, x1 = Math.Min(w, x0 + T), y1 = Math.Min(h, y0 + T);
                int wx0 = Math.Max(0, x0 - radius), wy0 = Math.Max(0, y0 - radius);
                int ww = Math.Min(w, x1 + radius) - wx0, wh = Math.Min(h, y1 + radius) - wy0;
                var pb = new float[ww * wh]; var pg = new float[ww * wh]; var pr = new float[ww * wh]; var pw = new float[ww * wh];
                for (int y = 0; y < wh; y++)
                {
                    var a = alpha.Row(wy0 + y);
                    var s = image.Row(wy0 + y);
                    for (int x = 0; x < ww; x++)
                    {
                        if (a[wx0 + x] != 0) continue;
                        int i = y * ww + x, p = (wx0 + x) * 4;
                        pb[i] = s[p]; pg[i] = s[p + 1]; pr[i] = s[p + 2]; pw[i] = 1;
                    }
                }
                BoxBlur.BoxSum(pb, ww, wh, radius); BoxBlur.BoxSum(pg, ww, wh, radius);
                BoxBlur.BoxSum(pr, ww, wh, radius); BoxBlur.BoxSum(pw, ww, wh, radius);
                var tile = new byte[T * T * 4];
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                    {
                        int i = (y - wy0) * ww + (x - wx0);
                        float ws = pw[i];
                        if (ws < 0.5f) continue; // no background in reach: leave the colour alone
                        int o = ((y - y0) * T + (x - x0)) * 4;
                        float inv = 1f / ws;
                        tile[o] = (byte)(pb[i] * inv + 0.5f); tile[o + 1] = (byte)(pg[i] * inv + 0.5f); tile[o + 2] = (byte)(pr[i] * inv + 0.5f);
                        tile[o + 3] = 1;
                    }
                e._tiles[t] = tile;
            }
        });
        return e;
    }

    public bool CoversRow(int y)
    {
        int ty = y / T;
        for (int tx = 0; tx < _tw; tx++) if (_tiles[ty * _tw + tx] is not null) return true;
        return false;
    }

    /// <summary>F = (I - (1-a)·B) / a for partly selected pixels with background in reach, clamped to 0..255.</summary>
    public void Decontaminate(int y, ReadOnlySpan<byte> mask, Span<byte> row)
    {
        int ty = y / T, oy = y % T * T;
        for (int tx = 0; tx < _tw; tx++)
        {
            var tile = _tiles[ty * _tw + tx];
            if (tile is null) continue;
            int x1 = Math.Min(mask.Length, tx * T + T);
            for (int x = tx * T; x < x1; x++)
            {
                byte m = mask[x];
                if (m == 0 || m == 255) continue;
                int o = (oy + x - tx * T) * 4;
                if (tile[o + 3] == 0) continue;
                float a = m / 255f, inv = 1f / a, k = 1f - a;
                int p = x * 4;
                row[p] = Clamp((row[p] - k * tile[o]) * inv);
                row[p + 1] = Clamp((row[p + 1] - k * tile[o + 1]) * inv);
                row[p + 2] = Clamp((row[p + 2] - k * tile[o + 2]) * inv);
            }
        }
    }

    private static byte Clamp(float v) => v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)(v + 0.5f);
}

using System.Numerics;
using System.Runtime.CompilerServices;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Finds the square tiles where a neighbourhood filter can change anything: a filter whose support reaches
/// <c>reach</c> px leaves pixels unchanged where the input is constant over that reach, so only tiles whose
/// expanded area holds two different values need work. This bounds edge filters by edge length, not image area.
/// </summary>
internal static class Tiles
{
    public const int Size = 64;

    /// <summary>Granularity of the activity map: finer than a tile so that a tile next to an edge tile is only
    /// woken when the edge really comes within reach of it.</summary>
    internal const int Cell = 16;

    /// <summary>Tile indices (ty * tilesAcross + tx) that need filtering; <paramref name="tilesAcross"/> is returned for decoding.</summary>
    public static int[] Active(byte[] data, int w, int h, int reach, out int tilesAcross)
    {
        int tw = (w + Size - 1) / Size, th = (h + Size - 1) / Size;
        tilesAcross = tw;
        int cw = (w + Cell - 1) / Cell, ch = (h + Cell - 1) / Cell;
        var cmin = new byte[cw * ch];
        var cmax = new byte[cw * ch];
        ParallelRows.For(ch, (long)Cell * w, (cy0, cy1) =>
        {
            var colMin = new byte[w];
            var colMax = new byte[w];
            for (int cy = cy0; cy < cy1; cy++)
                CellRange(data, w, cy * Cell, Math.Min(h, cy * Cell + Cell), colMin, colMax,
                    cmin.AsSpan(cy * cw, cw), cmax.AsSpan(cy * cw, cw));
        });
        var active = new List<int>();
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                int x0 = tx * Size, y0 = ty * Size, x1 = Math.Min(w, x0 + Size), y1 = Math.Min(h, y0 + Size);
                int ca = Math.Max(0, x0 - reach) / Cell, cb = Math.Min(w - 1, x1 - 1 + reach) / Cell;
                int ra = Math.Max(0, y0 - reach) / Cell, rb = Math.Min(h - 1, y1 - 1 + reach) / Cell;
                byte mn = 255, mx = 0;
                for (int j = ra; j <= rb && mn == 255 | mx == 0 | mn == mx; j++)
                    for (int i = ca; i <= cb; i++)
                    {
                        if (cmin[j * cw + i] < mn) mn = cmin[j * cw + i];
                        if (cmax[j * cw + i] > mx) mx = cmax[j * cw + i];
                    }
                if (mn != mx) active.Add(ty * tw + tx);
            }
        return active.ToArray();
    }

    /// <summary>
    /// Minimum and maximum of each <see cref="Cell"/>-wide cell of rows [y0, y1): the rows are first folded into
    /// per-column extremes with whole-vector min/max (one streaming read of the band), then each cell's columns
    /// are reduced; this is far cheaper than probing cells one short segment at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CellRange(byte[] data, int w, int y0, int y1, byte[] colMin, byte[] colMax, Span<byte> cmin, Span<byte> cmax)
    {
        var first = new ReadOnlySpan<byte>(data, y0 * w, w);
        first.CopyTo(colMin);
        first.CopyTo(colMax);
        int n = Vector<byte>.Count;
        for (int y = y0 + 1; y < y1; y++)
        {
            var row = new ReadOnlySpan<byte>(data, y * w, w);
            int x = 0;
            if (Vector.IsHardwareAccelerated)
                for (; x <= w - n; x += n)
                {
                    var v = new Vector<byte>(row.Slice(x));
                    Vector.Min(new Vector<byte>(colMin, x), v).CopyTo(colMin, x);
                    Vector.Max(new Vector<byte>(colMax, x), v).CopyTo(colMax, x);
                }
            for (; x < w; x++)
            {
                byte b = row[x];
                if (b < colMin[x]) colMin[x] = b;
                if (b > colMax[x]) colMax[x] = b;
            }
        }
        for (int c = 0; c < cmin.Length; c++)
        {
            int x0 = c * Cell, x1 = Math.Min(w, x0 + Cell);
            byte mn = colMin[x0], mx = colMax[x0];
            for (int x = x0 + 1; x < x1; x++)
            {
                if (colMin[x] < mn) mn = colMin[x];
                if (colMax[x] > mx) mx = colMax[x];
            }
            cmin[c] = mn; cmax[c] = mx;
        }
    }

    /// <summary>
    /// Box-blurs (see <see cref="BoxBlur"/>) a one-channel plane, computing only tiles near a change; the result
    /// equals blurring the whole plane because each run of active tiles is filtered inside a window padded by the
    /// full support.
    /// </summary>
    public static byte[] BlurPlane(byte[] src, int w, int h, int radius, int passes)
    {
        if (radius <= 0 || passes <= 0) return (byte[])src.Clone();
        int r = Math.Min(radius, 2 * Math.Max(w, h));
        int support = r * passes;
        var tiles = Active(src, w, h, support, out int tw);
        // Fresh output pages are faulted in by the first write, which dominates a 12 MP copy; splitting the copy
        // over the cores spreads that cost.
        var dst = GC.AllocateUninitializedArray<byte>(src.Length);
        const int copyChunk = 1 << 20;
        ParallelRows.For((src.Length + copyChunk - 1) / copyChunk, copyChunk, (c0, c1) =>
        {
            int a = c0 * copyChunk, b = Math.Min(src.Length, c1 * copyChunk);
            src.AsSpan(a, b - a).CopyTo(dst.AsSpan(a, b - a));
        });
        // Runs of horizontally adjacent active tiles share one window: the padding is paid once per run instead
        // of once per tile (on the 12 MP benchmark selection 477 tiles make 170 runs, a sixth less area to blur).
        var runs = new List<(int Start, int Count)>();
        for (int i = 0; i < tiles.Length;)
        {
            int j = i + 1;
            while (j < tiles.Length && tiles[j] == tiles[j - 1] + 1 && tiles[j] % tw != 0) j++;
            runs.Add((tiles[i], j - i));
            i = j;
        }
        var runArr = runs.ToArray();
        ParallelRows.For(runArr.Length, (long)(Size + 2 * support) * (Size + 2 * support) * passes * 4, (t0, t1) =>
        {
            byte[]? buf = null;
            var scratch = new BoxBlur.Scratch();
            for (int t = t0; t < t1; t++)
            {
                int x0 = runArr[t].Start % tw * Size, y0 = runArr[t].Start / tw * Size;
                int x1 = Math.Min(w, x0 + runArr[t].Count * Size), y1 = Math.Min(h, y0 + Size);
                int wx0 = Math.Max(0, x0 - support), wy0 = Math.Max(0, y0 - support);
                int wx1 = Math.Min(w, x1 + support), wy1 = Math.Min(h, y1 + support);
                int ww = wx1 - wx0, wh = wy1 - wy0;
                if (buf is null || buf.Length < ww * wh) buf = new byte[ww * wh];
                for (int y = 0; y < wh; y++) src.AsSpan((wy0 + y) * w + wx0, ww).CopyTo(buf.AsSpan(y * ww, ww));
                // The window is a whole image as far as clamping goes only at the real borders; elsewhere the
                // padding of `support` px keeps the run's core exact.
                BoxBlur.BlurExact(buf, ww, wh, r, passes, scratch);
                for (int y = y0; y < y1; y++)
                    buf.AsSpan((y - wy0) * ww + (x0 - wx0), x1 - x0).CopyTo(dst.AsSpan(y * w + x0, x1 - x0));
            }
        });
        return dst;
    }
}

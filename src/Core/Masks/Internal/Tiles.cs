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
    private const int Cell = 16;

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
            for (int cy = cy0; cy < cy1; cy++)
            {
                int yEnd = Math.Min(h, cy * Cell + Cell);
                for (int cx = 0; cx < cw; cx++)
                {
                    int x0 = cx * Cell, n = Math.Min(Cell, w - x0);
                    byte mn = data[cy * Cell * w + x0], mx = mn;
                    for (int y = cy * Cell; y < yEnd; y++)
                    {
                        var seg = new ReadOnlySpan<byte>(data, y * w + x0, n);
                        // Common case: the segment is uniform and equal to what the cell has seen so far.
                        if (mn == mx && seg.IndexOfAnyExcept(mn) < 0) continue;
                        foreach (byte b in seg) { if (b < mn) mn = b; if (b > mx) mx = b; }
                        if (mn == 0 && mx == 255) break;
                    }
                    cmin[cy * cw + cx] = mn; cmax[cy * cw + cx] = mx;
                }
            }
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
    /// Box-blurs (see <see cref="BoxBlur"/>) a one-channel plane, computing only tiles near a change; the result
    /// equals blurring the whole plane because each tile is filtered inside a window padded by the full support.
    /// </summary>
    public static byte[] BlurPlane(byte[] src, int w, int h, int radius, int passes)
    {
        var dst = (byte[])src.Clone();
        if (radius <= 0 || passes <= 0) return dst;
        int r = Math.Min(radius, 2 * Math.Max(w, h));
        int support = r * passes;
        var tiles = Active(src, w, h, support, out int tw);
        ParallelRows.For(tiles.Length, (long)(Size + 2 * support) * (Size + 2 * support) * passes * 4, (t0, t1) =>
        {
            byte[]? buf = null;
            for (int t = t0; t < t1; t++)
            {
                int x0 = tiles[t] % tw * Size, y0 = tiles[t] / tw * Size;
                int x1 = Math.Min(w, x0 + Size), y1 = Math.Min(h, y0 + Size);
                int wx0 = Math.Max(0, x0 - support), wy0 = Math.Max(0, y0 - support);
                int wx1 = Math.Min(w, x1 + support), wy1 = Math.Min(h, y1 + support);
                int ww = wx1 - wx0, wh = wy1 - wy0;
                if (buf is null || buf.Length < ww * wh) buf = new byte[ww * wh];
                for (int y = 0; y < wh; y++) src.AsSpan((wy0 + y) * w + wx0, ww).CopyTo(buf.AsSpan(y * ww, ww));
                // The window is a whole image as far as clamping goes only at the real borders; elsewhere the
                // padding of `support` px keeps the tile core exact.
                BoxBlur.BlurExact(buf, ww, wh, r, passes);
                for (int y = y0; y < y1; y++)
                    buf.AsSpan((y - wy0) * ww + (x0 - wx0), x1 - x0).CopyTo(dst.AsSpan(y * w + x0, x1 - x0));
            }
        });
        return dst;
    }
}

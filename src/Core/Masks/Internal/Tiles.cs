namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Finds the square tiles where a neighbourhood filter can change anything: a filter whose support reaches
/// <c>reach</c> px leaves pixels unchanged where the input is constant over that reach, so only tiles whose
/// expanded area holds two different values need work. This bounds edge filters by edge length, not image area.
/// </summary>
internal static class Tiles
{
    public const int Size = 64;

    /// <summary>Tile indices (ty * tilesAcross + tx) that need filtering; <paramref name="tilesAcross"/> is returned for decoding.</summary>
    public static int[] Active(byte[] data, int w, int h, int reach, out int tilesAcross)
    {
        int tw = (w + Size - 1) / Size, th = (h + Size - 1) / Size;
        tilesAcross = tw;
        var tmin = new byte[tw * th];
        var tmax = new byte[tw * th];
        Array.Fill(tmin, (byte)255);
        ParallelRows.For(th, (long)Size * w, (ty0, ty1) =>
        {
            for (int ty = ty0; ty < ty1; ty++)
                for (int y = ty * Size; y < Math.Min(h, ty * Size + Size); y++)
                {
                    var row = new ReadOnlySpan<byte>(data, y * w, w);
                    for (int tx = 0; tx < tw; tx++)
                    {
                        int t = ty * tw + tx;
                        byte mn = tmin[t], mx = tmax[t];
                        if (mn == 0 && mx == 255) continue;
                        var seg = row.Slice(tx * Size, Math.Min(Size, w - tx * Size));
                        // Common case: the segment is uniform and equal to what the tile has seen so far.
                        if (mn == mx && seg.IndexOfAnyExcept(mn) < 0) continue;
                        foreach (byte b in seg) { if (b < mn) mn = b; if (b > mx) mx = b; }
                        tmin[t] = mn; tmax[t] = mx;
                    }
                }
        });
        int k = (reach + Size - 1) / Size;
        var active = new List<int>();
        for (int ty = 0; ty < th; ty++)
            for (int tx = 0; tx < tw; tx++)
            {
                byte mn = 255, mx = 0;
                for (int j = Math.Max(0, ty - k); j <= Math.Min(th - 1, ty + k); j++)
                    for (int i = Math.Max(0, tx - k); i <= Math.Min(tw - 1, tx + k); i++)
                    {
                        if (tmin[j * tw + i] < mn) mn = tmin[j * tw + i];
                        if (tmax[j * tw + i] > mx) mx = tmax[j * tw + i];
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

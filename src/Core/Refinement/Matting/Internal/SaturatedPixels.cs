namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// Unknown pixels that the coarser level already settles: where the upsampled coarse alpha lies within a margin of 0
/// (or of 1) at every pixel of the (2r+1)x(2r+1) square around a pixel (known pixels included), that pixel becomes
/// known at 0 (or 1), so the level is solved only where alpha is really unknown.
/// </summary>
/// <remarks>
/// The coarse level may not have seen every known pixel (a coarse pixel is known only when its four fine pixels agree,
/// so a small known patch vanishes) and then closes over it, e.g. over a hole of background inside the foreground. Where
/// a known pixel on the band's edge disagrees with the coarse alpha sampled there (by more than 0.5), nothing within the
/// conflict radius is settled.
/// </remarks>
internal static class SaturatedPixels
{
    /// <summary>
    /// A copy of <paramref name="trimap"/> with the settled unknowns marked background or foreground; their
    /// <paramref name="start"/> values are set to exactly 0 or 1. Returns how many were settled.
    /// </summary>
    /// <remarks>
    /// <c>coarse</c> is the coarser level's alpha (<c>cw</c> x <c>ch</c>) that <c>start</c> was sampled from.
    /// </remarks>
    public static byte[] Settle(byte[] trimap, float[] start, int width, int height, float[] coarse, int cw, int ch,
        float margin, int radius, int conflictRadius, out int settled, out int conflicts)
    {
        var blocked = Conflicts(trimap, width, height, coarse, cw, ch, conflictRadius, out conflicts);
        var narrowed = (byte[])trimap.Clone();
        float lo = margin, hi = 1f - margin;
        int total = 0;
        Masks.Internal.ParallelRows.For(height, (long)width * 2, (y0, y1) =>
        {
            int count = 0;
            for (int y = y0; y < y1; y++)
            {
                int ya = Math.Max(0, y - radius), yb = Math.Min(height - 1, y + radius);
                var row = trimap.AsSpan(y * width, width);
                int x = row.IndexOf(Trimap.Unknown);
                while (x >= 0)
                {
                    if (blocked is null || blocked[y * width + x] == 0)
                    {
                        int xa = Math.Max(0, x - radius), xb = Math.Min(width - 1, x + radius);
                        float min = 1f, max = 0f;
                        for (int yy = ya; yy <= yb && (max <= lo || min >= hi); yy++)
                        {
                            var s = start.AsSpan(yy * width + xa, xb - xa + 1);
                            for (int k = 0; k < s.Length; k++)
                            {
                                float v = s[k];
                                if (v < min) min = v;
                                if (v > max) max = v;
                            }
                        }
                        if (max <= lo) { narrowed[y * width + x] = Trimap.Background; count++; }
                        else if (min >= hi) { narrowed[y * width + x] = Trimap.Foreground; count++; }
                    }
                    int next = row[(x + 1)..].IndexOf(Trimap.Unknown);
                    x = next < 0 ? -1 : x + 1 + next;
                }
            }
            if (count > 0) Interlocked.Add(ref total, count);
        });
        // Only after every decision, so that no decision reads a value already set (it could not change one anyway:
        // a settled value moves further to its own side).
        Masks.Internal.ParallelRows.For(height, width, (y0, y1) =>
        {
            for (int i = y0 * width, end = y1 * width; i < end; i++)
                if (narrowed[i] != trimap[i]) start[i] = narrowed[i] == Trimap.Foreground ? 1f : 0f;
        });
        settled = total;
        return narrowed;
    }

    /// <summary>
    /// Pixels within <paramref name="radius"/> of a known pixel beside an unknown one whose coarse alpha contradicts it
    /// (null when there is none).
    /// </summary>
    private static byte[]? Conflicts(byte[] trimap, int width, int height, float[] coarse, int cw, int ch, int radius, out int count)
    {
        var found = new List<int>[height];
        Masks.Internal.ParallelRows.For(height, width, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var row = trimap.AsSpan(y * width, width);
                if (row.IndexOf(Trimap.Unknown) < 0) continue;
                for (int x = 0; x < width; x++)
                {
                    byte t = row[x];
                    if (t == Trimap.Unknown) continue;
                    bool edge = (x > 0 && row[x - 1] == Trimap.Unknown) || (x + 1 < width && row[x + 1] == Trimap.Unknown)
                        || (y > 0 && trimap[(y - 1) * width + x] == Trimap.Unknown) || (y + 1 < height && trimap[(y + 1) * width + x] == Trimap.Unknown);
                    if (!edge) continue;
                    float a = MatteLevel.SampleAt(coarse, cw, ch, x, y);
                    if (Math.Abs(a - (t == Trimap.Foreground ? 1f : 0f)) > 0.5f) (found[y] ??= []).Add(x);
                }
            }
        });
        byte[]? blocked = null;
        count = 0;
        for (int y = 0; y < height; y++)
        {
            if (found[y] is not { } xs) continue;
            count += xs.Count;
            blocked ??= new byte[width * height];
            int ya = Math.Max(0, y - radius), yb = Math.Min(height - 1, y + radius);
            foreach (int x in xs)
            {
                int xa = Math.Max(0, x - radius), xb = Math.Min(width - 1, x + radius);
                for (int yy = ya; yy <= yb; yy++) blocked.AsSpan(yy * width + xa, xb - xa + 1).Fill(1);
            }
        }
        return blocked;
    }
}

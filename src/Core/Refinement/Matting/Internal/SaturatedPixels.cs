namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// Unknown pixels that the coarser level already settles: where the upsampled coarse alpha lies within a margin of 0
/// (or of 1) at every pixel of the (2r+1)x(2r+1) square around a pixel (known pixels included), that pixel becomes
/// known at 0 (or 1), so the level is solved only where alpha is really unknown.
/// </summary>
internal static class SaturatedPixels
{
    /// <summary>
    /// A copy of <paramref name="trimap"/> with the settled unknowns marked background or foreground; their
    /// <paramref name="start"/> values are set to exactly 0 or 1. Returns how many were settled.
    /// </summary>
    public static byte[] Settle(byte[] trimap, float[] start, int width, int height, float margin, int radius, out int settled)
    {
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
}

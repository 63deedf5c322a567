namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Traces the pixel-edge boundaries of a mask into closed rings with vertices on pixel corners (x in 0..W,
/// y in 0..H). Edges are oriented with the selection on their right (clockwise on screen, y down), so outer
/// boundaries have positive shoelace area and holes negative. Where two selected pixels touch only at a corner
/// the walk turns to join them: selections are 8-connected and holes 4-connected, matching the component rules.
/// </summary>
internal static class ContourTracer
{
    // Directions: 0 = +x, 1 = +y, 2 = -x, 3 = -y.
    private static readonly int[] Dx = { 1, 0, -1, 0 };
    private static readonly int[] Dy = { 0, 1, 0, -1 };

    /// <summary>One closed ring; <c>Points</c> holds x0,y0,x1,y1,... corners only (no collinear points).</summary>
    internal readonly record struct Ring(int[] Points, long TwiceArea, int PixelX, int PixelY);

    public static List<Ring> Trace(byte[] mask, int w, int h)
    {
        int vw = w + 1;
        var outgoing = new byte[(long)vw * (h + 1) <= Array.MaxLength ? vw * (h + 1) : throw new SegArgumentException("mask", "too large to trace")];
        for (int y = 0; y < h; y++)
        {
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                if (mask[row + x] == 0) continue;
                if (y == 0 || mask[row - w + x] == 0) outgoing[y * vw + x] |= 1;                 // top: (x,y) -> (x+1,y)
                if (x == w - 1 || mask[row + x + 1] == 0) outgoing[y * vw + x + 1] |= 2;         // right: (x+1,y) -> (x+1,y+1)
                if (y == h - 1 || mask[row + w + x] == 0) outgoing[(y + 1) * vw + x + 1] |= 4;   // bottom: (x+1,y+1) -> (x,y+1)
                if (x == 0 || mask[row + x - 1] == 0) outgoing[(y + 1) * vw + x] |= 8;           // left: (x,y+1) -> (x,y)
            }
        }
        var rings = new List<Ring>();
        var pts = new List<int>();
        for (int v = 0; v < outgoing.Length; v++)
        {
            while (outgoing[v] != 0)
            {
                int sx = v % vw, sy = v / vw;
                int d = System.Numerics.BitOperations.TrailingZeroCount(outgoing[v]);
                pts.Clear();
                int x = sx, y = sy;
                int startDir = d;
                long twiceArea = 0;
                // The selected pixel on the right of the first edge, to tie the ring to its component.
                int px = d switch { 0 => sx, 1 => sx - 1, 2 => sx - 1, _ => sx };
                int py = d switch { 0 => sy, 1 => sy, 2 => sy - 1, _ => sy - 1 };
                int prevDir = -1;
                while (true)
                {
                    int idx = y * vw + x;
                    outgoing[idx] &= (byte)~(1 << d);
                    if (d != prevDir) { pts.Add(x); pts.Add(y); }
                    int nx = x + Dx[d], ny = y + Dy[d];
                    twiceArea += (long)x * ny - (long)nx * y;
                    x = nx; y = ny;
                    prevDir = d;
                    int bits = outgoing[y * vw + x];
                    // Back at the start vertex the start edge counts again: the walk ends when the turn rule
                    // would take it (a ring may pass a corner-touching vertex twice).
                    bool atStart = x == sx && y == sy;
                    if (atStart) bits |= 1 << startDir;
                    if (bits == 0) break;
                    // Prefer a left turn (joins corner-touching pixels), then straight, then right.
                    int left = (d + 3) & 3, right = (d + 1) & 3;
                    if ((bits & (1 << left)) != 0) d = left;
                    else if ((bits & (1 << d)) != 0) { }
                    else if ((bits & (1 << right)) != 0) d = right;
                    else break;
                    if (atStart && d == startDir) break;
                }
                // The first vertex is redundant if the walk ended travelling in the start direction.
                if (prevDir == startDir && pts.Count >= 2) pts.RemoveRange(0, 2);
                rings.Add(new Ring(pts.ToArray(), twiceArea, px, py));
            }
        }
        return rings;
    }
}

/// <summary>Even-odd scanline fill sampled at pixel centres: pixel (x,y) is inside when (x+0.5, y+0.5) is.</summary>
internal static class PolygonRasterizer
{
    /// <summary>Rings as flat x0,y0,x1,y1,... arrays (closed implicitly).</summary>
    public static byte[] Fill(IReadOnlyList<double[]> rings, int w, int h)
    {
        var dst = new byte[w * h];
        // Edge list bucketed by the first scanline it can cross.
        var edges = new List<(double X0, double Y0, double X1, double Y1)>();
        foreach (var r in rings)
        {
            int n = r.Length / 2;
            for (int i = 0; i < n; i++)
            {
                double ax = r[2 * i], ay = r[2 * i + 1];
                int j = (i + 1) % n;
                double bx = r[2 * j], by = r[2 * j + 1];
                if (ay == by) continue;
                edges.Add(ay < by ? (ax, ay, bx, by) : (bx, by, ax, ay));
            }
        }
        var buckets = new List<int>?[h];
        for (int e = 0; e < edges.Count; e++)
        {
            // First centre row with y+0.5 >= Y0.
            double first = Math.Ceiling(edges[e].Y0 - 0.5);
            if (first >= h || edges[e].Y1 <= 0) continue;
            int fy = (int)Math.Max(0, first);
            (buckets[fy] ??= new List<int>()).Add(e);
        }
        var active = new List<int>();
        var xs = new List<double>();
        for (int y = 0; y < h; y++)
        {
            double yc = y + 0.5;
            if (buckets[y] is { } b) active.AddRange(b);
            xs.Clear();
            for (int k = active.Count - 1; k >= 0; k--)
            {
                var e = edges[active[k]];
                if (e.Y1 <= yc) { active.RemoveAt(k); continue; }
                if (e.Y0 > yc) continue;
                xs.Add(e.X0 + (yc - e.Y0) * (e.X1 - e.X0) / (e.Y1 - e.Y0));
            }
            xs.Sort();
            var row = dst.AsSpan(y * w, w);
            for (int k = 0; k + 1 < xs.Count; k += 2)
            {
                int x0 = (int)Math.Max(0, Math.Ceiling(xs[k] - 0.5));
                int x1 = (int)Math.Min(w, Math.Ceiling(xs[k + 1] - 0.5));
                if (x1 > x0) row.Slice(x0, x1 - x0).Fill(255);
            }
        }
        return dst;
    }
}

/// <summary>Ramer–Douglas–Peucker simplification of closed rings.</summary>
internal static class DouglasPeucker
{
    public static double[] SimplifyClosed(double[] ring, double tolerance)
    {
        int n = ring.Length / 2;
        if (n <= 3 || tolerance <= 0) return ring;
        // Split the ring at vertex 0 and its farthest vertex so both halves are open polylines.
        int far = 0; double best = -1;
        for (int i = 1; i < n; i++)
        {
            double dx = ring[2 * i] - ring[0], dy = ring[2 * i + 1] - ring[1];
            double d = dx * dx + dy * dy;
            if (d > best) { best = d; far = i; }
        }
        var keep = new bool[n + 1];
        keep[0] = keep[far] = keep[n] = true;
        var stack = new Stack<(int, int)>();
        stack.Push((0, far)); stack.Push((far, n));
        double tol2 = tolerance * tolerance;
        while (stack.Count > 0)
        {
            var (a, b) = stack.Pop();
            if (b - a < 2) continue;
            double ax = ring[2 * (a % n)], ay = ring[2 * (a % n) + 1], bx = ring[2 * (b % n)], by = ring[2 * (b % n) + 1];
            double vx = bx - ax, vy = by - ay, len2 = vx * vx + vy * vy;
            int idx = -1; double dmax = -1;
            for (int i = a + 1; i < b; i++)
            {
                double px = ring[2 * i] - ax, py = ring[2 * i + 1] - ay;
                double d2 = len2 == 0 ? px * px + py * py : Sq(px * vy - py * vx) / len2;
                if (d2 > dmax) { dmax = d2; idx = i; }
            }
            if (dmax > tol2) { keep[idx] = true; stack.Push((a, idx)); stack.Push((idx, b)); }
        }
        var result = new List<double>();
        for (int i = 0; i < n; i++)
            if (keep[i]) { result.Add(ring[2 * i]); result.Add(ring[2 * i + 1]); }
        return result.ToArray();
    }

    private static double Sq(double v) => v * v;
}

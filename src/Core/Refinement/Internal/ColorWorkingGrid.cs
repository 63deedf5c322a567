using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Refinement;

namespace SegPlugins.Core.Refinement.Internal;

/// <summary>The grid the colour cut runs on (for <see cref="ColorRefiner"/>): the region, or the region averaged down to at most the pixel budget.</summary>
internal sealed class ColorWorkingGrid
{
    private readonly PixelRect _region;
    private readonly int _gw, _gh;
    private readonly int[] _xStart, _yStart;

    private ColorWorkingGrid(PixelRect region, int gw, int gh)
    {
        _region = region;
        _gw = gw;
        _gh = gh;
        _xStart = Starts(region.Width, gw);
        _yStart = Starts(region.Height, gh);
    }

    public static ColorWorkingGrid For(PixelRect region, int maxPixels)
    {
        long area = (long)region.Width * region.Height;
        if (area <= maxPixels) return new ColorWorkingGrid(region, region.Width, region.Height);
        double f = Math.Sqrt((double)area / maxPixels);
        int gw = Math.Max(1, Math.Min(region.Width, (int)(region.Width / f)));
        int gh = Math.Max(1, Math.Min(region.Height, (int)(region.Height / f)));
        return new ColorWorkingGrid(region, gw, gh);
    }

    /// <summary>First source column (row) of each grid cell, plus the end.</summary>
    private static int[] Starts(int size, int cells)
    {
        var s = new int[cells + 1];
        for (int i = 0; i <= cells; i++) s[i] = (int)((long)size * i / cells);
        return s;
    }

    private bool Identity => _gw == _region.Width && _gh == _region.Height;

    /// <summary>Colours, prior costs, constraints and first labels of every cell (area averages of its pixels).</summary>
    public ColorCut.Problem Sample(BgraImage image, LogitMap logits, LogitMap? saliency, ColorRefineInput input, ColorRefineOptions o)
    {
        int n = _gw * _gh;
        var colors = new uint[n];
        var costSel = new float[n];
        var costUnsel = new float[n];
        var constraints = new byte[n];
        var initial = new bool[n];
        double invT = 1.0 / o.ModelTemperature;
        // Column -> cell, so that each band of rows is read as it lies in memory, row after row.
        var cellOf = new int[_region.Width];
        for (int gx = 0; gx < _gw; gx++)
            for (int x = _xStart[gx]; x < _xStart[gx + 1]; x++) cellOf[x] = gx;
        ParallelRows.For(_gh, (long)_region.Width * _region.Height / _gh * 4, (g0, g1) =>
        {
            var sb = new long[_gw]; var sg = new long[_gw]; var sr = new long[_gw];
            var sl = new double[_gw]; var ss = new double[_gw];
            for (int gy = g0; gy < g1; gy++)
            {
                Array.Clear(sb); Array.Clear(sg); Array.Clear(sr); Array.Clear(sl); Array.Clear(ss);
                int sy0 = _region.Y + _yStart[gy], sy1 = _region.Y + _yStart[gy + 1];
                for (int y = sy0; y < sy1; y++)
                {
                    var row = image.Row(y).Slice(_region.X * 4, _region.Width * 4);
                    var lrow = logits.Row(y).Slice(_region.X, _region.Width);
                    for (int x = 0; x < lrow.Length; x++)
                    {
                        int c = cellOf[x];
                        sb[c] += row[x * 4]; sg[c] += row[x * 4 + 1]; sr[c] += row[x * 4 + 2];
                        sl[c] += lrow[x];
                    }
                    if (saliency is not null)
                    {
                        var srow = saliency.Row(y).Slice(_region.X, _region.Width);
                        for (int x = 0; x < srow.Length; x++) ss[cellOf[x]] += srow[x];
                    }
                }
                for (int gx = 0; gx < _gw; gx++)
                {
                    int count = (sy1 - sy0) * (_xStart[gx + 1] - _xStart[gx]);
                    int i = gy * _gw + gx;
                    long half = count / 2;
                    colors[i] = (uint)((sr[gx] + half) / count) << 16 | (uint)((sg[gx] + half) / count) << 8 | (uint)((sb[gx] + half) / count);
                    double l = sl[gx];
                    double z = l / count * invT;
                    initial[i] = l > 0;
                    double sel = o.ModelWeight * Softplus(-z), unsel = o.ModelWeight * Softplus(z);
                    if (saliency is not null)
                    {
                        double p = ss[gx] / count;
                        double e = Math.Clamp(Math.Log((p + 1e-4) / (1 - p + 1e-4)), -SaliencyLogitClip, SaliencyLogitClip) * o.SaliencyWeight;
                        sel += Softplus(-e);
                        unsel += Softplus(e);
                    }
                    costSel[i] = (float)sel;
                    costUnsel[i] = (float)unsel;
                }
            }
        });
        if (input.Box is { } box)
        {
            // Cells whose centre lies outside the box's pixels are background (and teach the background colours).
            // The box's pixels run from floor(X0) to floor(X1) inclusive, so that a box given by inclusive pixel
            // corners (as benchmarks do) and one given by continuous edges both keep the object's last pixels.
            double bx0 = Math.Floor(box.X0), bx1 = Math.Floor(box.X1) + 1, by0 = Math.Floor(box.Y0), by1 = Math.Floor(box.Y1) + 1;
            for (int gy = 0; gy < _gh; gy++)
            {
                double cy = _region.Y + (_yStart[gy] + _yStart[gy + 1]) / 2.0;
                for (int gx = 0; gx < _gw; gx++)
                {
                    double cx = _region.X + (_xStart[gx] + _xStart[gx + 1]) / 2.0;
                    if (cx < bx0 || cx > bx1 || cy < by0 || cy > by1) constraints[gy * _gw + gx] = ColorCut.ForceUnselected;
                }
            }
        }
        // Later clicks win where they overlap, as they are the user's latest word.
        double sx = (double)_gw / _region.Width, sy = (double)_gh / _region.Height;
        double reach = o.ClickReach * Math.Sqrt((double)_gw * _gw + (double)_gh * _gh);
        var queue = new Queue<int>();
        var seen = new bool[n];
        foreach (var c in input.Clicks)
        {
            double gx = (c.X - _region.X) * sx, gy = (c.Y - _region.Y) * sy;
            int cx = (int)Math.Floor(gx), cy = (int)Math.Floor(gy);
            if (reach > 0 && cx >= 0 && cy >= 0 && cx < _gw && cy < _gh && initial[cy * _gw + cx] == c.Positive)
            {
                // The model's region of the click's label that holds the click, within reach of it.
                Array.Clear(seen);
                byte label = c.Positive ? ColorCut.ForceSelected : ColorCut.ForceUnselected;
                int start = cy * _gw + cx;
                seen[start] = true;
                queue.Enqueue(start);
                while (queue.Count > 0)
                {
                    int i = queue.Dequeue();
                    constraints[i] = label;
                    int x = i % _gw, y = i / _gw;
                    for (int d = 0; d < 4; d++)
                    {
                        int nx = x + (d == 0 ? 1 : d == 1 ? -1 : 0), ny = y + (d == 2 ? 1 : d == 3 ? -1 : 0);
                        if ((uint)nx >= (uint)_gw || (uint)ny >= (uint)_gh) continue;
                        int j = ny * _gw + nx;
                        if (seen[j] || initial[j] != c.Positive) continue;
                        double ddx = nx + 0.5 - gx, ddy = ny + 0.5 - gy;
                        if (ddx * ddx + ddy * ddy > reach * reach) continue;
                        seen[j] = true;
                        queue.Enqueue(j);
                    }
                }
            }
            double rx = Math.Max(0.5, o.ClickRadius * sx), ry = Math.Max(0.5, o.ClickRadius * sy);
            int ax = (int)Math.Floor(gx - rx), bx = (int)Math.Ceiling(gx + rx), ay = (int)Math.Floor(gy - ry), by = (int)Math.Ceiling(gy + ry);
            for (int y = Math.Max(0, ay); y <= Math.Min(_gh - 1, by); y++)
                for (int x = Math.Max(0, ax); x <= Math.Min(_gw - 1, bx); x++)
                {
                    double dx = (x + 0.5 - gx) / rx, dy = (y + 0.5 - gy) / ry;
                    bool inside = dx * dx + dy * dy <= 1 || (x == (int)Math.Min(_gw - 1, gx) && y == (int)Math.Min(_gh - 1, gy));
                    if (inside) constraints[y * _gw + x] = c.Positive ? ColorCut.ForceSelected : ColorCut.ForceUnselected;
                }
        }
        return new ColorCut.Problem(_gw, _gh, colors, costSel, costUnsel, constraints, initial);
    }

    /// <summary>Writes the cell labels into <paramref name="mask"/> over the region; a scaled grid is interpolated bilinearly between cell centres.</summary>
    public void Paint(bool[] labels, Mask mask)
    {
        if (Identity)
        {
            for (int y = 0; y < _gh; y++)
            {
                var row = mask.Row(_region.Y + y).Slice(_region.X, _gw);
                for (int x = 0; x < _gw; x++) row[x] = labels[y * _gw + x] ? Mask.On : Mask.Off;
            }
            return;
        }
        double fx = (double)_gw / _region.Width, fy = (double)_gh / _region.Height;
        // Per column: the two cells it lies between and the weight of the right one.
        int rw = _region.Width;
        var cx0 = new int[rw];
        var cx1 = new int[rw];
        var wx = new double[rw];
        for (int x = 0; x < rw; x++)
        {
            double gx = (x + 0.5) * fx - 0.5;
            cx0[x] = Math.Clamp((int)Math.Floor(gx), 0, _gw - 1);
            cx1[x] = Math.Min(_gw - 1, cx0[x] + 1);
            wx[x] = Math.Clamp(gx - cx0[x], 0, 1);
        }
        ParallelRows.For(_region.Height, rw * 4L, (r0, r1) =>
        {
            for (int y = r0; y < r1; y++)
            {
                double gy = (y + 0.5) * fy - 0.5;
                int y0 = Math.Clamp((int)Math.Floor(gy), 0, _gh - 1), y1 = Math.Min(_gh - 1, y0 + 1);
                double ty = Math.Clamp(gy - y0, 0, 1);
                var row = mask.Row(_region.Y + y).Slice(_region.X, rw);
                int a0 = y0 * _gw, a1 = y1 * _gw;
                for (int x = 0; x < rw; x++)
                {
                    bool p00 = labels[a0 + cx0[x]], p01 = labels[a0 + cx1[x]], p10 = labels[a1 + cx0[x]], p11 = labels[a1 + cx1[x]];
                    // Where the four cells agree (almost everywhere) no interpolation is needed.
                    if (p00 == p01 && p10 == p11 && p00 == p10) { row[x] = p00 ? Mask.On : Mask.Off; continue; }
                    double t = wx[x];
                    double v = (1 - ty) * ((1 - t) * Sign(p00) + t * Sign(p01)) + ty * ((1 - t) * Sign(p10) + t * Sign(p11));
                    row[x] = v > 0 ? Mask.On : Mask.Off;
                }
            }
        });
    }

    private static double Sign(bool b) => b ? 1 : -1;

    /// <summary>Clip of the saliency logit: the map's 0 and 1 are not certainties.</summary>
    private const float SaliencyLogitClip = 10f;

    private static double Softplus(double z) => z > 30 ? z : z < -30 ? Math.Exp(z) : Math.Log(1 + Math.Exp(z));
}

using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Inclusive pixel bounds (X0,Y0)-(X1,Y1) grown one mask or point at a time; empty while X1 &lt; 0 (as built from
/// <see cref="Empty"/>). The one place masks, clicks and boxes become a working region.
/// </summary>
internal struct PixelBounds
{
    public int X0, Y0, X1, Y1;

    public static PixelBounds Empty => new() { X0 = int.MaxValue, Y0 = int.MaxValue, X1 = -1, Y1 = -1 };

    /// <summary>Grows the bounds to every non-zero pixel of the <paramref name="w"/> x <paramref name="h"/> raster.</summary>
    public void IncludeSet(ReadOnlySpan<byte> data, int w, int h)
    {
        for (int y = 0; y < h; y++)
        {
            var row = data.Slice(y * w, w);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            int last = row.LastIndexOfAnyExcept((byte)0);
            if (y < Y0) Y0 = y;
            if (y > Y1) Y1 = y;
            if (first < X0) X0 = first;
            if (last > X1) X1 = last;
        }
    }

    /// <summary>Grows the bounds to pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void Include(int x, int y)
    {
        if (x < X0) X0 = x;
        if (y < Y0) Y0 = y;
        if (x > X1) X1 = x;
        if (y > Y1) Y1 = y;
    }

    /// <summary>The bounds as a rectangle, or null while empty.</summary>
    public readonly PixelRect? ToRect() => X1 < X0 || Y1 < Y0 ? null : new PixelRect(X0, Y0, X1 - X0 + 1, Y1 - Y0 + 1);

    /// <summary>
    /// A rectangle around the inclusive box (x0,y0)-(x1,y1): each side scaled by <paramref name="expansion"/> about
    /// the box's centre and at least <paramref name="minSize"/>, both capped by the image, then shifted to lie inside it.
    /// </summary>
    public static PixelRect Grow(int x0, int y0, int x1, int y1, double expansion, int minSize, int imageWidth, int imageHeight)
    {
        double cx = (x0 + x1 + 1) / 2.0, cy = (y0 + y1 + 1) / 2.0;
        int w = Math.Min(imageWidth, Math.Max(minSize, (int)Math.Ceiling((x1 - x0 + 1) * expansion)));
        int h = Math.Min(imageHeight, Math.Max(minSize, (int)Math.Ceiling((y1 - y0 + 1) * expansion)));
        int x = Math.Clamp((int)Math.Round(cx - w / 2.0), 0, imageWidth - w);
        int y = Math.Clamp((int)Math.Round(cy - h / 2.0), 0, imageHeight - h);
        return new PixelRect(x, y, w, h);
    }
}

internal static class Bounds
{
    /// <summary>Bounds of the non-zero pixels, or null when there are none.</summary>
    public static PixelRect? Of(byte[] data, int w, int h)
    {
        var b = PixelBounds.Empty;
        b.IncludeSet(data.AsSpan(0, w * h), w, h);
        return b.ToRect();
    }

    public static byte[] Crop(byte[] data, int w, int h, PixelRect r)
    {
        r.CheckInside(w, h, "crop");
        var d = new byte[r.Width * r.Height];
        for (int y = 0; y < r.Height; y++)
            data.AsSpan((r.Y + y) * w + r.X, r.Width).CopyTo(d.AsSpan(y * r.Width, r.Width));
        return d;
    }
}

internal static class ComponentSelection
{
    public static Mask KeepLargest(Mask m)
    {
        var c = Components.Label(m.Data, m.Width, m.Height, set: true, eightConnected: true);
        var result = new Mask(m.Width, m.Height);
        if (c.Count == 0) return result;
        int best = 0;
        for (int i = 1; i < c.Count; i++) if (c.Area[i] > c.Area[best]) best = i;
        var keep = new bool[c.Count];
        keep[best] = true;
        c.Paint(result.Data, keep, Mask.On);
        return result;
    }

    public static Mask KeepContaining(Mask m, PointPrompt[] points)
    {
        var c = Components.Label(m.Data, m.Width, m.Height, set: true, eightConnected: true);
        var keep = new bool[c.Count];
        for (int i = 0; i < points.Length; i++)
        {
            var p = points[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || p.X < 0 || p.Y < 0 || p.X > m.Width || p.Y > m.Height)
                throw new SegArgumentException($"point[{i}]", $"({p.X},{p.Y}) is outside the {m.Width}x{m.Height} mask");
            int x = Math.Min(m.Width - 1, (int)p.X), y = Math.Min(m.Height - 1, (int)p.Y);
            int label = c.LabelAt(x, y);
            if (label >= 0) keep[label] = true;
        }
        var result = new Mask(m.Width, m.Height);
        c.Paint(result.Data, keep, Mask.On);
        return result;
    }
}

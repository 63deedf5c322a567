using SegPlugins.Core.Geometry;

namespace SegPlugins.Core.Masks.Internal;

internal static class Bounds
{
    public static PixelRect? Of(byte[] data, int w, int h)
    {
        int top = -1, bottom = -1, left = w, right = -1;
        for (int y = 0; y < h; y++)
        {
            var row = new ReadOnlySpan<byte>(data, y * w, w);
            int first = row.IndexOfAnyExcept((byte)0);
            if (first < 0) continue;
            if (top < 0) top = y;
            bottom = y;
            int lastIdx = row.LastIndexOfAnyExcept((byte)0);
            if (first < left) left = first;
            if (lastIdx > right) right = lastIdx;
        }
        return top < 0 ? null : new PixelRect(left, top, right - left + 1, bottom - top + 1);
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

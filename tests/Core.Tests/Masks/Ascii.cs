using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>Masks written as pictures: '#' selected, '.' not.</summary>
internal static class Ascii
{
    public static Mask Parse(params string[] rows)
    {
        int h = rows.Length, w = rows[0].Length;
        var m = new Mask(w, h);
        for (int y = 0; y < h; y++)
        {
            if (rows[y].Length != w) throw new ArgumentException("ragged picture");
            for (int x = 0; x < w; x++) m.Data[y * w + x] = rows[y][x] == '#' ? Mask.On : Mask.Off;
        }
        return m;
    }

    public static string Render(Mask m)
    {
        var lines = new string[m.Height];
        for (int y = 0; y < m.Height; y++)
        {
            var c = new char[m.Width];
            for (int x = 0; x < m.Width; x++) c[x] = m[x, y] ? '#' : '.';
            lines[y] = new string(c);
        }
        return string.Join("\n", lines);
    }

    public static string Join(params string[] rows) => string.Join("\n", rows);

    public static Mask Random(int w, int h, double density, int seed)
    {
        var rng = new Random(seed);
        var m = new Mask(w, h);
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] = rng.NextDouble() < density ? Mask.On : Mask.Off;
        return m;
    }

    public static Mask Disk(int w, int h, double cx, double cy, double r)
    {
        var m = new Mask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m.Data[y * w + x] = Mask.On;
        return m;
    }

    public static bool Contains(Mask outer, Mask inner)
    {
        for (int i = 0; i < inner.Data.Length; i++) if (inner.Data[i] != 0 && outer.Data[i] == 0) return false;
        return true;
    }
}

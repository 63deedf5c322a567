using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Tests.Support;

public static class MaskMath
{
    public static double IoU(Mask a, Mask b)
    {
        if (a.Width != b.Width || a.Height != b.Height) throw new ArgumentException("sizes differ");
        long inter = 0, union = 0;
        for (int i = 0; i < a.Data.Length; i++)
        {
            bool x = a.Data[i] != 0, y = b.Data[i] != 0;
            if (x && y) inter++;
            if (x || y) union++;
        }
        return union == 0 ? 1.0 : (double)inter / union;
    }

    /// <summary>Fraction of the pixels in the disc of radius r around (cx,cy) that are set.</summary>
    public static double CoverageAround(Mask m, int cx, int cy, int r)
    {
        int n = 0, on = 0;
        for (int y = Math.Max(0, cy - r); y <= Math.Min(m.Height - 1, cy + r); y++)
            for (int x = Math.Max(0, cx - r); x <= Math.Min(m.Width - 1, cx + r); x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) { n++; if (m[x, y]) on++; }
        return (double)on / n;
    }

    public static Mask LoadMask(string path)
    {
        var img = ImageIO.Load(path);
        var m = new Mask(img.Width, img.Height);
        for (int y = 0; y < img.Height; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < img.Width; x++) m.Data[y * img.Width + x] = row[4 * x + 2] > 127 ? (byte)255 : (byte)0;
        }
        return m;
    }
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>The shared bounds helper against a plain per-pixel reference.</summary>
public class PixelBoundsTests
{
    /// <summary>Inclusive bounds of the non-zero pixels and the points, by visiting every pixel; null when none.</summary>
    private static (int X0, int Y0, int X1, int Y1)? Reference(byte[] data, int w, int h, (int X, int Y)[] points)
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = int.MinValue, y1 = int.MinValue;
        bool any = false;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (data[y * w + x] != 0)
                {
                    any = true;
                    x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y);
                }
        foreach (var (x, y) in points)
        {
            any = true;
            x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y);
        }
        return any ? (x0, y0, x1, y1) : null;
    }

    private static byte[] RandomMask(Random rng, int w, int h)
    {
        var d = new byte[w * h];
        double density = rng.Next(4) switch { 0 => 0, 1 => 0.002, 2 => 0.05, _ => 0.5 };
        for (int i = 0; i < d.Length; i++) if (rng.NextDouble() < density) d[i] = (byte)rng.Next(1, 256);
        // Sometimes one solid blob, so rows with long runs are covered too.
        if (rng.Next(3) == 0)
        {
            int bx = rng.Next(w), by = rng.Next(h), bw = rng.Next(1, w - bx + 1), bh = rng.Next(1, h - by + 1);
            for (int y = by; y < by + bh; y++) d.AsSpan(y * w + bx, bw).Fill(255);
        }
        return d;
    }

    [Fact]
    public void MaskBoundsMatchTheReferenceOnRandomMasks()
    {
        var rng = new Random(1604);
        for (int t = 0; t < 400; t++)
        {
            int w = rng.Next(1, 90), h = rng.Next(1, 70);
            var d = RandomMask(rng, w, h);
            var want = Reference(d, w, h, Array.Empty<(int, int)>());
            PixelRect? expected = want is { } r ? new PixelRect(r.X0, r.Y0, r.X1 - r.X0 + 1, r.Y1 - r.Y0 + 1) : null;
            Assert.Equal(expected, Bounds.Of(d, w, h));
        }
    }

    [Fact]
    public void MaskAndPointBoundsMatchTheReferenceOnRandomMasks()
    {
        var rng = new Random(2417);
        for (int t = 0; t < 400; t++)
        {
            int w = rng.Next(1, 90), h = rng.Next(1, 70);
            var d = RandomMask(rng, w, h);
            var points = new (int X, int Y)[rng.Next(4)];
            for (int i = 0; i < points.Length; i++) points[i] = (rng.Next(w), rng.Next(h));
            var b = PixelBounds.Empty;
            b.IncludeSet(d, w, h);
            foreach (var (x, y) in points) b.Include(x, y);
            var want = Reference(d, w, h, points);
            if (want is null)
            {
                Assert.Null(b.ToRect());
                Assert.True(b.X1 < 0);
            }
            else Assert.Equal(want.Value, (b.X0, b.Y0, b.X1, b.Y1));
        }
    }

    [Fact]
    public void GrowScalesAboutTheCentreAndStaysInsideTheImage()
    {
        // A 4x2 box at (10,20) grown 1.5x: 6x3 about the centre (12, 21).
        Assert.Equal(new PixelRect(9, 20, 6, 3), PixelBounds.Grow(10, 20, 13, 21, 1.5, 1, 100, 100));
        // The minimum size wins over a small box; the image edge shifts the rectangle inward.
        Assert.Equal(new PixelRect(0, 0, 16, 16), PixelBounds.Grow(0, 0, 1, 1, 1.0, 16, 100, 100));
        Assert.Equal(new PixelRect(84, 84, 16, 16), PixelBounds.Grow(98, 98, 99, 99, 1.0, 16, 100, 100));
        Assert.Equal(new PixelRect(0, 0, 10, 10), PixelBounds.Grow(3, 3, 5, 5, 1.0, 16, 10, 10));

        var rng = new Random(77);
        for (int t = 0; t < 2000; t++)
        {
            int W = rng.Next(1, 200), H = rng.Next(1, 200);
            int x0 = rng.Next(W), x1 = rng.Next(x0, W), y0 = rng.Next(H), y1 = rng.Next(y0, H);
            double e = 0.5 + rng.NextDouble() * 3;
            int min = rng.Next(1, 64);
            var r = PixelBounds.Grow(x0, y0, x1, y1, e, min, W, H);
            Assert.Equal(Math.Min(W, Math.Max(min, (int)Math.Ceiling((x1 - x0 + 1) * e))), r.Width);
            Assert.Equal(Math.Min(H, Math.Max(min, (int)Math.Ceiling((y1 - y0 + 1) * e))), r.Height);
            Assert.True(r.X >= 0 && r.Y >= 0 && r.Right <= W && r.Bottom <= H);
            if (e >= 1) Assert.True(r.X <= x0 && r.Y <= y0 && r.Right > x1 && r.Bottom > y1, $"{r} misses box ({x0},{y0})-({x1},{y1})");
        }
    }
}

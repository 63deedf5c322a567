using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

/// <summary>
/// The row phase skips columns, prunes hidden ones and writes whole envelope segments with vectors; these tests
/// hold it to the plain reference bit for bit on many shapes, sizes, caps and border settings.
/// </summary>
public class DistanceTransformRandomTests
{
    private static byte[] RandomMask(Random rng, int w, int h)
    {
        var m = new byte[w * h];
        switch (rng.Next(4))
        {
            case 0:
                // Salt and pepper at a random density, from nearly empty to nearly full.
                double p = rng.NextDouble() * rng.NextDouble();
                if (rng.Next(2) == 0) p = 1 - p;
                for (int i = 0; i < m.Length; i++) m[i] = rng.NextDouble() < p ? (byte)255 : (byte)0;
                break;
            default:
                // A few discs and boxes: long runs and smooth column distances, where pruning does real work.
                int shapes = rng.Next(0, 6);
                for (int s = 0; s < shapes; s++)
                {
                    int cx = rng.Next(-5, w + 5), cy = rng.Next(-5, h + 5), r = rng.Next(1, Math.Max(2, Math.Max(w, h)));
                    bool disc = rng.Next(2) == 0;
                    byte val = rng.Next(4) == 0 ? (byte)0 : (byte)255;
                    for (int y = Math.Max(0, cy - r); y < Math.Min(h, cy + r + 1); y++)
                        for (int x = Math.Max(0, cx - r); x < Math.Min(w, cx + r + 1); x++)
                            if (!disc || (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m[y * w + x] = val;
                }
                if (rng.Next(3) == 0)
                    for (int i = 0; i < 1 + m.Length / 200; i++) m[rng.Next(m.Length)] ^= 255;
                break;
        }
        return m;
    }

    private static void Check(byte[] mask, int w, int h, bool targetIsSet, bool border, int cap)
    {
        var expected = DistanceTransformReference.SquaredDistance(mask, w, h, targetIsSet, border, cap);
        var actual = new float[w * h];
        if (cap == int.MaxValue) DistanceTransform.SquaredDistance(mask, w, h, targetIsSet, border, actual);
        else DistanceTransform.SquaredDistance(mask, w, h, targetIsSet, border, actual, cap);
        for (int i = 0; i < actual.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{w}x{h} target={targetIsSet} border={border} cap={cap}: pixel ({i % w},{i / w}) is {actual[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MatchesReferenceOnRandomMasks(int seed)
    {
        var rng = new Random(seed * 7919);
        int[] caps = { int.MaxValue, 0, 1, 2, 3, 5, 8, 20, 100 };
        for (int trial = 0; trial < 400; trial++)
        {
            int w = rng.Next(1, 71);
            int h = rng.Next(4) == 0 ? rng.Next(1, 4) : rng.Next(1, 50);
            var mask = RandomMask(rng, w, h);
            int cap = caps[rng.Next(caps.Length)];
            Check(mask, w, h, rng.Next(2) == 0, rng.Next(2) == 0, cap);
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void MatchesReferenceOnLargerMasks(int seed)
    {
        var rng = new Random(seed * 104729);
        for (int trial = 0; trial < 12; trial++)
        {
            int w = rng.Next(64, 400), h = rng.Next(2, 300);
            var mask = RandomMask(rng, w, h);
            int cap = rng.Next(3) == 0 ? rng.Next(0, 60) : int.MaxValue;
            Check(mask, w, h, rng.Next(2) == 0, rng.Next(2) == 0, cap);
        }
    }

    /// <summary>A lobed blob with holes and islands, like a real selection: smooth edges, so that each row's
    /// envelope columns prune the next row almost completely, with valleys, long target runs and empty rows.</summary>
    private static byte[] LobedBlob(Random rng, int w, int h)
    {
        var m = new byte[w * h];
        double cx = w * (0.3 + 0.4 * rng.NextDouble()), cy = h * (0.3 + 0.4 * rng.NextDouble());
        double r0 = Math.Min(w, h) * (0.15 + 0.3 * rng.NextDouble());
        int l1 = rng.Next(2, 6), l2 = rng.Next(7, 30);
        double a1 = 0.25 * rng.NextDouble(), a2 = 0.1 * rng.NextDouble(), p = rng.NextDouble() * 6;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double dx = x - cx, dy = y - cy, t = Math.Atan2(dy, dx);
                double r = r0 * (1 + a1 * Math.Sin(l1 * t + p) + a2 * Math.Sin(l2 * t));
                if (dx * dx + dy * dy <= r * r) m[y * w + x] = 255;
            }
        for (int i = rng.Next(0, 12); i > 0; i--)
        {
            int px = rng.Next(w), py = rng.Next(h), rr = rng.Next(0, Math.Max(1, Math.Min(w, h) / 12));
            byte val = rng.Next(2) == 0 ? (byte)0 : (byte)255;
            for (int y = Math.Max(0, py - rr); y < Math.Min(h, py + rr + 1); y++)
                for (int x = Math.Max(0, px - rr); x < Math.Min(w, px + rr + 1); x++)
                    if ((x - px) * (x - px) + (y - py) * (y - py) <= rr * rr) m[y * w + x] = val;
        }
        return m;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void MatchesReferenceOnSmoothShapes(int seed)
    {
        // Smooth shapes are where the previous row's envelope does the pruning; caps and borders change which
        // columns may serve as witnesses.
        var rng = new Random(seed * 31337);
        int[] caps = { int.MaxValue, int.MaxValue, 0, 1, 3, 17, 60 };
        for (int trial = 0; trial < 10; trial++)
        {
            int w = rng.Next(20, 260), h = rng.Next(20, 200);
            var mask = LobedBlob(rng, w, h);
            Check(mask, w, h, rng.Next(2) == 0, rng.Next(2) == 0, caps[rng.Next(caps.Length)]);
        }
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void MatchesReferenceAcrossManyBands(int seed)
    {
        // Wide images are cut into bands of a few dozen rows, each starting from the targets above and below it.
        var rng = new Random(seed * 7717);
        for (int trial = 0; trial < 4; trial++)
        {
            int w = rng.Next(1500, 3000), h = rng.Next(40, 160);
            var mask = rng.Next(3) == 0 ? RandomMask(rng, w, h) : LobedBlob(rng, w, h);
            int cap = rng.Next(3) == 0 ? rng.Next(0, 80) : int.MaxValue;
            Check(mask, w, h, rng.Next(2) == 0, rng.Next(2) == 0, cap);
        }
    }

    [Fact]
    public void RunsOfTargetsAndTies()
    {
        // Horizontal bars (long target runs, whose insides are left out of the envelope and zeroed), bars ending
        // at the row ends, single columns and symmetric pairs (parabolas that tie exactly), at widths around the
        // vector size where the last segment's stores are clamped to the row.
        var rng = new Random(99);
        for (int trial = 0; trial < 300; trial++)
        {
            int w = rng.Next(1, 40), h = rng.Next(1, 30);
            var mask = new byte[w * h];
            for (int s = rng.Next(0, 5); s > 0; s--)
            {
                int y = rng.Next(h), x0 = rng.Next(-3, w), len = rng.Next(1, w + 4);
                for (int x = Math.Max(0, x0); x < Math.Min(w, x0 + len); x++) mask[y * w + x] = 255;
                if (rng.Next(2) == 0)
                {
                    // The mirror image about the middle column: equal distances from both sides.
                    for (int x = Math.Max(0, x0); x < Math.Min(w, x0 + len); x++) mask[(h - 1 - y) * w + (w - 1 - x)] = 255;
                }
            }
            Check(mask, w, h, rng.Next(4) != 0, rng.Next(2) == 0, rng.Next(3) == 0 ? rng.Next(0, 10) : int.MaxValue);
        }
    }

    [Fact]
    public void AllTargetAndNoTarget()
    {
        foreach (var (w, h) in new[] { (1, 1), (1, 9), (9, 1), (70, 3), (33, 17) })
            foreach (byte fill in new byte[] { 0, 255 })
            {
                var mask = new byte[w * h];
                Array.Fill(mask, fill);
                foreach (bool target in new[] { true, false })
                    foreach (bool border in new[] { true, false })
                        foreach (int cap in new[] { int.MaxValue, 0, 2 })
                            Check(mask, w, h, target, border, cap);
            }
    }

    [Fact]
    public void WideRowsBeyondThirtyTwoBitValues()
    {
        // Squared distances along a row this wide pass 2^31, which the vector output cannot hold.
        int w = 46400, h = 2;
        var mask = new byte[w * h];
        mask[3] = 255;
        mask[w + w - 2] = 255;
        foreach (bool border in new[] { true, false })
            Check(mask, w, h, true, border, int.MaxValue);
    }

    [Fact]
    public void TallColumnsBeyondPruningRange()
    {
        // Column distances above 23170 do not fit the 32-bit pruning test, so it must stand aside.
        int w = 5, h = 30000;
        var mask = new byte[w * h];
        mask[2] = 255;
        mask[(h - 1) * w + 4] = 255;
        foreach (bool border in new[] { true, false })
            foreach (int cap in new[] { int.MaxValue, 25000, 20000 })
                Check(mask, w, h, true, border, cap);
    }
}

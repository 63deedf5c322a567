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

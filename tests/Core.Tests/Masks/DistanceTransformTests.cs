using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class DistanceTransformTests
{
    private static float[] BruteForce(byte[] mask, int w, int h, bool targetIsSet, bool borderIsTarget)
    {
        var r = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double best = DistanceTransform.Infinity;
                for (int ty = -1; ty <= h; ty++)
                    for (int tx = -1; tx <= w; tx++)
                    {
                        bool inside = tx >= 0 && ty >= 0 && tx < w && ty < h;
                        bool target = inside ? ((mask[ty * w + tx] != 0) == targetIsSet) : borderIsTarget;
                        if (!target) continue;
                        double d = (double)(tx - x) * (tx - x) + (double)(ty - y) * (ty - y);
                        if (d < best) best = d;
                    }
                r[y * w + x] = (float)best;
            }
        return r;
    }

    [Theory]
    [InlineData(1, 1, 0.5, false)]
    [InlineData(7, 5, 0.1, false)]
    [InlineData(13, 17, 0.5, true)]
    [InlineData(31, 9, 0.9, false)]
    [InlineData(20, 20, 0.02, true)]
    [InlineData(16, 3, 0.0, true)]
    public void MatchesBruteForceOnRandomMasks(int w, int h, double density, bool border)
    {
        var rng = new Random(w * 1000 + h);
        for (int trial = 0; trial < 20; trial++)
        {
            var mask = new byte[w * h];
            for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < density ? (byte)255 : (byte)0;
            foreach (bool targetIsSet in new[] { true, false })
            {
                var expected = BruteForce(mask, w, h, targetIsSet, border);
                var actual = new float[w * h];
                DistanceTransform.SquaredDistance(mask, w, h, targetIsSet, border, actual);
                Assert.Equal(expected, actual);
            }
        }
    }
}

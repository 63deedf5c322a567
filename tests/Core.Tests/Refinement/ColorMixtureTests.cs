using Xunit;
using SegPlugins.Core.Refinement.Internal;

namespace SegPlugins.Core.Tests.Refinement;

/// <summary>The colour mixture's batch density against its one-colour form.</summary>
public class ColorMixtureTests
{
    [Theory]
    [InlineData(5, 1)]
    [InlineData(5, 2)]
    [InlineData(3, 3)]
    [InlineData(1, 4)]
    public void BatchDensitiesMatchTheOneColourFormBitForBit(int components, int seed)
    {
        var rng = new Random(seed);
        // Colours from a few clusters, and one component left empty when there are several.
        var samples = new uint[3000];
        for (int i = 0; i < samples.Length; i++)
        {
            int cluster = rng.Next(3);
            int r = Math.Clamp(40 + 80 * cluster + rng.Next(-30, 31), 0, 255);
            int g = Math.Clamp(200 - 60 * cluster + rng.Next(-20, 21), 0, 255);
            int b = rng.Next(256);
            samples[i] = 0xFF000000u | (uint)(r << 16) | (uint)(g << 8) | (uint)b;
        }
        var assignment = new byte[samples.Length];
        ColorMixture.InitialAssignment(samples, assignment, components);
        var mixture = new ColorMixture(components);
        mixture.BeginFit();
        for (int i = 0; i < samples.Length; i++)
            if (components == 1 || assignment[i] != components - 1) mixture.Add(samples[i], assignment[i]);
        mixture.EndFit();

        // Every length up to a few vectors, so the tail after the last full vector is covered too.
        for (int n = 0; n <= 11; n++)
        {
            var colors = new uint[n];
            for (int i = 0; i < n; i++) colors[i] = (uint)rng.Next() | 0xFF000000u;
            var best = new double[n];
            var comp = new byte[n];
            mixture.BestLogs(colors, best, comp);
            for (int i = 0; i < n; i++)
            {
                double one = mixture.BestLog(colors[i], out int c);
                Assert.Equal(BitConverter.DoubleToInt64Bits(one), BitConverter.DoubleToInt64Bits(best[i]));
                Assert.Equal(c, comp[i]);
            }
        }
        var big = samples.AsSpan(0, 2047).ToArray();
        var bigBest = new double[big.Length];
        var bigComp = new byte[big.Length];
        mixture.BestLogs(big, bigBest, bigComp);
        for (int i = 0; i < big.Length; i++)
        {
            Assert.Equal(mixture.BestLog(big[i], out int c), bigBest[i]);
            Assert.Equal(c, bigComp[i]);
        }
        Assert.Throws<ArgumentException>(() => mixture.BestLogs(big, new double[10], bigComp));
    }
}

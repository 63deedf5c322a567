using SegPlugins.Core.Compositing.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Compositing;

public class BlendReferenceTests
{
    /// <summary>Straight-alpha "over" in exact arithmetic, rounded to nearest.</summary>
    private static byte[] Reference(byte[] f, byte m, byte[] b)
    {
        double a = Math.Round(m * f[3] / 255.0, MidpointRounding.AwayFromZero) / 255.0;
        double ba = b[3] / 255.0;
        double outA = a + ba * (1 - a);
        var r = new byte[4];
        if (outA == 0) { r[0] = f[0]; r[1] = f[1]; r[2] = f[2]; r[3] = 0; return r; }
        for (int c = 0; c < 3; c++) r[c] = (byte)Math.Round((f[c] * a + b[c] * ba * (1 - a)) / outA, MidpointRounding.AwayFromZero);
        r[3] = (byte)Math.Round(outA * 255, MidpointRounding.AwayFromZero);
        return r;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1001)]
    public void RowBlendMatchesExactOver(int n)
    {
        var rng = new Random(n);
        var f = new byte[n * 4]; var b = new byte[n * 4]; var m = new byte[n]; var d = new byte[n * 4];
        rng.NextBytes(f); rng.NextBytes(b); rng.NextBytes(m);
        // Mix in the special values the shortcuts handle.
        for (int i = 0; i < n; i += 3) { m[i] = (byte)(i % 2 == 0 ? 255 : 0); f[i * 4 + 3] = 255; }
        for (int i = 1; i < n; i += 4) b[i * 4 + 3] = (byte)(i % 8 == 1 ? 255 : 0);
        Blend.Pixels(f, m, b, d);
        for (int i = 0; i < n; i++)
        {
            var want = Reference(f.AsSpan(i * 4, 4).ToArray(), m[i], b.AsSpan(i * 4, 4).ToArray());
            var got = d.AsSpan(i * 4, 4).ToArray();
            Assert.True(want.AsSpan().SequenceEqual(got),
                $"pixel {i}: {string.Join(",", got)} vs {string.Join(",", want)} (f {string.Join(",", f.AsSpan(i * 4, 4).ToArray())}, m {m[i]}, b {string.Join(",", b.AsSpan(i * 4, 4).ToArray())})");
        }
    }
}

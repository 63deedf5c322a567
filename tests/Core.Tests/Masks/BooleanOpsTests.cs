using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using Xunit;

namespace SegPlugins.Core.Tests.Masks;

public class BooleanOpsTests
{
    private static readonly Mask A = Ascii.Parse("##..", "##..", "....");
    private static readonly Mask B = Ascii.Parse(".##.", ".##.", ".##.");

    [Fact]
    public void ExactResults()
    {
        Assert.Equal(Ascii.Join("###.", "###.", ".##."), Ascii.Render(A.Union(B)));
        Assert.Equal(Ascii.Join(".#..", ".#..", "...."), Ascii.Render(A.Intersect(B)));
        Assert.Equal(Ascii.Join("#...", "#...", "...."), Ascii.Render(A.Subtract(B)));
        Assert.Equal(Ascii.Join("#.#.", "#.#.", ".##."), Ascii.Render(A.Xor(B)));
        Assert.Equal(Ascii.Join("..##", "..##", "####"), Ascii.Render(A.Invert()));
    }

    [Fact]
    public void SubtractThenUnionRestoresWhereDisjoint()
    {
        var a = Ascii.Random(37, 23, 0.4, 1);
        var b = Ascii.Random(37, 23, 0.3, 2).Subtract(a); // disjoint from a
        Assert.True(b.Intersect(a).IsEmpty);
        Assert.Equal(a.Data, a.Union(b).Subtract(b).Data);
        Assert.Equal(a.Data, a.Subtract(b).Union(a.Intersect(b)).Data);
    }

    [Fact]
    public void SizeMismatchNamesBothSizes()
    {
        var e = Assert.Throws<SegArgumentException>(() => A.Union(new Mask(5, 3)));
        Assert.Contains("5x3", e.Message);
        Assert.Contains("4x3", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(65)]
    [InlineData(1007)]
    [InlineData(200003)]
    public void VectorKernelsMatchScalarOnRandomBytes(int n)
    {
        var rng = new Random(n);
        var a = new byte[n]; var b = new byte[n];
        rng.NextBytes(a); rng.NextBytes(b);
        foreach (ByteOp op in Enum.GetValues<ByteOp>())
        {
            var d = new byte[n];
            ByteOps.Apply(op, a, b, d);
            for (int i = 0; i < n; i++) Assert.Equal(ByteOps.Scalar(op, a[i], b[i]), d[i]);
            var p = new byte[n];
            ByteOps.ApplyPlanes(op, a, b, p);
            Assert.Equal(d, p);
        }
        var not = new byte[n];
        ByteOps.Not(a, not);
        for (int i = 0; i < n; i++) Assert.Equal((byte)(255 - a[i]), not[i]);
        var th = new byte[n];
        ByteOps.Threshold(a, 100, th);
        for (int i = 0; i < n; i++) Assert.Equal(a[i] >= 100 ? 255 : 0, th[i]);
    }

    [Fact]
    public void SoftOpsAreMaxMinAndDifference()
    {
        var a = new SoftMask(3, 1, new byte[] { 10, 200, 255 });
        var b = new SoftMask(3, 1, new byte[] { 100, 50, 255 });
        Assert.Equal(new byte[] { 100, 200, 255 }, a.Union(b).Data);
        Assert.Equal(new byte[] { 10, 50, 255 }, a.Intersect(b).Data);
        Assert.Equal(new byte[] { 10, 200, 0 }, a.Subtract(b).Data);
        Assert.Equal(new byte[] { 245, 55, 0 }, a.Invert().Data);
    }
}

using System.Numerics;

namespace SegPlugins.Core.Masks.Internal;

internal enum ByteOp { Max, Min, MinNot, Xor }

/// <summary>
/// Element-wise byte kernels for selection arithmetic. On 0/255 masks Max is OR, Min is AND, MinNot is
/// AND-NOT and Xor is XOR; on soft masks Max/Min/MinNot are the usual fuzzy union, intersection and difference
/// (255 - b equals ~b for bytes). Vector&lt;byte&gt; body, scalar tail with the same formula.
/// </summary>
internal static class ByteOps
{
    public static void Apply(ByteOp op, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, Span<byte> dst)
    {
        int n = dst.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vn = Vector<byte>.Count;
            for (; i <= n - vn; i += vn)
            {
                var va = new Vector<byte>(a.Slice(i));
                var vb = new Vector<byte>(b.Slice(i));
                Vector<byte> r = op switch
                {
                    ByteOp.Max => Vector.Max(va, vb),
                    ByteOp.Min => Vector.Min(va, vb),
                    ByteOp.MinNot => Vector.Min(va, ~vb),
                    _ => va ^ vb,
                };
                r.CopyTo(dst.Slice(i));
            }
        }
        for (; i < n; i++) dst[i] = Scalar(op, a[i], b[i]);
    }

    public static byte Scalar(ByteOp op, byte a, byte b) => op switch
    {
        ByteOp.Max => Math.Max(a, b),
        ByteOp.Min => Math.Min(a, b),
        ByteOp.MinNot => Math.Min(a, (byte)~b),
        _ => (byte)(a ^ b),
    };

    public static void Not(ReadOnlySpan<byte> a, Span<byte> dst)
    {
        int n = dst.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vn = Vector<byte>.Count;
            for (; i <= n - vn; i += vn) (~new Vector<byte>(a.Slice(i))).CopyTo(dst.Slice(i));
        }
        for (; i < n; i++) dst[i] = (byte)~a[i];
    }

    /// <summary>dst[i] = src[i] &gt;= threshold ? 255 : 0.</summary>
    public static void Threshold(ReadOnlySpan<byte> src, byte threshold, Span<byte> dst)
    {
        int n = dst.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vn = Vector<byte>.Count;
            var t = new Vector<byte>(threshold);
            for (; i <= n - vn; i += vn)
                Vector.GreaterThanOrEqual(new Vector<byte>(src.Slice(i)), t).CopyTo(dst.Slice(i));
        }
        for (; i < n; i++) dst[i] = src[i] >= threshold ? (byte)255 : (byte)0;
    }

    /// <summary>dst[i] = src[i] &gt; threshold ? 255 : 0 for floats (NaN gives 0).</summary>
    public static void Threshold(ReadOnlySpan<float> src, float threshold, Span<byte> dst)
    {
        int n = dst.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Four float vectors narrow into one byte vector: compare masks are all-ones or zero, so narrowing keeps them.
            int fn = Vector<float>.Count, bn = Vector<byte>.Count;
            var t = new Vector<float>(threshold);
            for (; i <= n - bn; i += bn)
            {
                var m0 = Vector.AsVectorInt32(Vector.GreaterThan(new Vector<float>(src.Slice(i)), t));
                var m1 = Vector.AsVectorInt32(Vector.GreaterThan(new Vector<float>(src.Slice(i + fn)), t));
                var m2 = Vector.AsVectorInt32(Vector.GreaterThan(new Vector<float>(src.Slice(i + 2 * fn)), t));
                var m3 = Vector.AsVectorInt32(Vector.GreaterThan(new Vector<float>(src.Slice(i + 3 * fn)), t));
                var lo = Vector.Narrow(m0, m1);
                var hi = Vector.Narrow(m2, m3);
                Vector.AsVectorByte(Vector.Narrow(lo, hi)).CopyTo(dst.Slice(i));
            }
        }
        for (; i < n; i++) dst[i] = src[i] > threshold ? (byte)255 : (byte)0;
    }

    /// <summary>Applies a kernel to whole planes, row-parallel.</summary>
    public static void ApplyPlanes(ByteOp op, byte[] a, byte[] b, byte[] dst)
    {
        const int chunk = 1 << 16;
        int chunks = (dst.Length + chunk - 1) / chunk;
        ParallelRows.For(chunks, chunk, (c0, c1) =>
        {
            int s = c0 * chunk, e = Math.Min(dst.Length, c1 * chunk);
            Apply(op, a.AsSpan(s, e - s), b.AsSpan(s, e - s), dst.AsSpan(s, e - s));
        });
    }

    public static void NotPlane(byte[] a, byte[] dst)
    {
        const int chunk = 1 << 16;
        int chunks = (dst.Length + chunk - 1) / chunk;
        ParallelRows.For(chunks, chunk, (c0, c1) =>
        {
            int s = c0 * chunk, e = Math.Min(dst.Length, c1 * chunk);
            Not(a.AsSpan(s, e - s), dst.AsSpan(s, e - s));
        });
    }
}

/// <summary>Overlap counts of two planes where non-zero means "set".</summary>
internal static class OverlapKernel
{
    public static void IntersectionUnion(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out long intersection, out long union)
    {
        if (a.Length != b.Length) throw new ArgumentException("planes differ in length");
        long inter = 0, uni = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vn = Vector<byte>.Count;
            var one = Vector<byte>.One;
            // Per-lane counters in bytes overflow after 255 steps, so flush them in blocks.
            while (i <= a.Length - vn)
            {
                Vector<byte> ci = Vector<byte>.Zero, cu = Vector<byte>.Zero;
                int end = Math.Min(a.Length - vn, i + 254 * vn); // at most 255 steps per block
                for (; i <= end; i += vn)
                {
                    var pa = ~Vector.Equals(new Vector<byte>(a.Slice(i)), Vector<byte>.Zero);
                    var pb = ~Vector.Equals(new Vector<byte>(b.Slice(i)), Vector<byte>.Zero);
                    ci += (pa & pb) & one;
                    cu += (pa | pb) & one;
                }
                inter += Sum(ci);
                uni += Sum(cu);
            }
        }
        for (; i < a.Length; i++)
        {
            bool p = a[i] != 0, q = b[i] != 0;
            if (p & q) inter++;
            if (p | q) uni++;
        }
        intersection = inter;
        union = uni;
    }

    private static long Sum(Vector<byte> v)
    {
        long s = 0;
        for (int k = 0; k < Vector<byte>.Count; k++) s += v[k];
        return s;
    }
}

using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// Exact squared Euclidean distance transform in linear time (Felzenszwalb and Huttenlocher, "Distance
/// Transforms of Sampled Functions", 2012): a 1-D lower envelope of parabolas per row over per-column distances.
/// The cost does not depend on the distances involved, so growing by 50 px costs the same as by 1 px.
/// For a binary input the per-column 1-D transform reduces to two running-count sweeps (Meijster et al. 2000),
/// which walk memory row by row instead of down columns, here band by band in cache. The row phase only hands the
/// envelope the columns that may be on it: neighbouring rows have nearly the same envelope, so the previous row's
/// envelope columns rule out almost every other column with one vectorised, exact chord test per column.
/// </summary>
internal static partial class DistanceTransform
{
    /// <summary>Stands for "no target pixel in reach"; larger than any real squared distance.</summary>
    public const float Infinity = 1e20f;

    /// <summary>
    /// For every pixel, the squared distance to the nearest target pixel (0 on target pixels).
    /// A pixel is a target when <c>(mask[i] != 0) == targetIsSet</c>. With <paramref name="borderIsTarget"/>,
    /// the ring just outside the image counts as target (as if the mask were padded by one pixel).
    /// Where no target exists at all, the result is <see cref="Infinity"/>.
    /// </summary>
    public static void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result) =>
        SquaredDistance(mask, width, height, targetIsSet, borderIsTarget, result, int.MaxValue);

    /// <summary>
    /// As above, but exact only up to <paramref name="maxDistance"/>: where the true distance exceeds it the result
    /// is some value &gt; maxDistance² (often <see cref="Infinity"/>). Columns farther than that from any target
    /// then drop out of the per-row envelope, which is what keeps thresholding (grow, shrink, feather) cheap.
    /// </summary>
    public static unsafe void SquaredDistance(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result, int maxDistance)
    {
        if (mask.Length < width * height || result.Length < width * height)
            throw new ArgumentException("buffers are smaller than width*height");
        if (mask.Overlaps(MemoryMarshal.AsBytes(result)))
            throw new ArgumentException("mask and result must not overlap");
        if (height >= NoTarget - 1)
        {
            SquaredDistanceTall(mask, width, height, targetIsSet, borderIsTarget, result);
            return;
        }
        if (width <= 0 || height <= 0) return;
        // Vertical distances fit 16 bits here. The image is cut into bands of rows small enough that a band's
        // downward distances stay in the core's cache: a first pass notes, per band and column, the topmost and
        // bottommost target rows, from which every band knows the nearest target above and below it; then each
        // band runs its own downward sweep into a band buffer and its upward sweep row by row, handing each
        // finished row straight to the row phase. No image-sized intermediate is written.
        int cap = maxDistance >= NoTarget ? NoTarget : maxDistance;
        // Bands of at most 255 rows, so that a row within a band fits a byte.
        int bandRows = Math.Min(height, Math.Clamp(BandBufferBytes / (2 * width), 4, 255));
        int bands = (height + bandRows - 1) / bandRows;
        var topRows = ArrayPool<byte>.Shared.Rent(bands * width);
        var bottomRows = ArrayPool<byte>.Shared.Rent(bands * width);
        var above = ArrayPool<ushort>.Shared.Rent(bands * width);
        var below = ArrayPool<ushort>.Shared.Rent(bands * width);
        try
        {
            fixed (byte* mp = mask)
            fixed (float* rp = result)
            {
                nint m = (nint)mp, r = (nint)rp;
                ParallelRows.For(bands, (long)width * bandRows / 2, (b0, b1) =>
                {
                    for (int b = b0; b < b1; b++)
                        BandTargets((byte*)m, width, b * bandRows, Math.Min(height, (b + 1) * bandRows), targetIsSet,
                            topRows.AsSpan(b * width, width), bottomRows.AsSpan(b * width, width));
                });
                NearestOutsideBands(topRows, bottomRows, above, below, bands, bandRows, width);
                // Column distances never exceed the height (or the cap), which decides the arithmetic the rows may use.
                int gMax = Math.Min(Math.Min(cap, NoTarget - 1), height);
                // Bands above and below a shape cost several times those across it: fine chunks even the cores out,
                // and each chunk start only costs one row without a previous row to prune by.
                ParallelRows.For(bands, (long)width * bandRows * 8, (b0, b1) =>
                {
                    var scratch = BandScratch.Take(width, gMax, bandRows);
                    var buffers = scratch.Envelope;
                    buffers.PrevK = -1;
                    ushort[] down = scratch.Down, up = scratch.Up, gr = scratch.Column;
                    // Bottom band first, so that each row's envelope columns can serve the row above it.
                    for (int b = b1 - 1; b >= b0; b--)
                    {
                        int y0 = b * bandRows, y1 = Math.Min(height, y0 + bandRows);
                        DownBand((byte*)m, width, y0, y1, targetIsSet, borderIsTarget, above.AsSpan(b * width, width), down);
                        UpStart(below.AsSpan(b * width, width), width, height, y1, borderIsTarget, up);
                        for (int y = y1 - 1; y >= y0; y--)
                        {
                            UpStep(new ReadOnlySpan<ushort>(down, (y - y0 + 1) * width, width), up, gr);
                            var row = new Span<float>((float*)r + (long)y * width, width);
                            RowEnvelope(gr, cap, borderIsTarget, row, buffers);
                        }
                    }
                    BandScratch.Give(scratch);
                }, chunksPerCore: 16);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(topRows);
            ArrayPool<byte>.Shared.Return(bottomRows);
            ArrayPool<ushort>.Shared.Return(above);
            ArrayPool<ushort>.Shared.Return(below);
        }
    }

    internal const int NoTarget = ushort.MaxValue;

    /// <summary>The plain two-pass form for images taller than 16-bit column distances allow.</summary>
    private static void SquaredDistanceTall(ReadOnlySpan<byte> mask, int width, int height, bool targetIsSet, bool borderIsTarget, Span<float> result)
    {
        int n = Math.Max(width, height) + 2;
        var f = new float[n];
        var d = new float[n];
        var v = new int[n];
        var z = new double[n + 1];
        int off = borderIsTarget ? 1 : 0;
        for (int x = 0; x < width; x++)
        {
            int len = height + 2 * off;
            if (borderIsTarget) { f[0] = 0; f[height + 1] = 0; }
            for (int y = 0; y < height; y++)
                f[y + off] = ((mask[y * width + x] != 0) == targetIsSet) ? 0f : Infinity;
            Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
            for (int y = 0; y < height; y++) result[y * width + x] = d[y + off];
        }
        for (int y = 0; y < height; y++)
        {
            var row = result.Slice(y * width, width);
            int len = width + 2 * off;
            if (borderIsTarget) { f[0] = 0; f[width + 1] = 0; }
            row.CopyTo(f.AsSpan(off, width));
            Envelope(f.AsSpan(0, len), d.AsSpan(0, len), v, z);
            d.AsSpan(off, width).CopyTo(row);
        }
    }

    /// <summary>1-D squared distance transform of sampled function <paramref name="f"/> into <paramref name="d"/>.</summary>
    internal static void Envelope(ReadOnlySpan<float> f, Span<float> d, int[] v, double[] z)
    {
        int n = f.Length;
        int k = -1;
        for (int q = 0; q < n; q++)
        {
            if (f[q] >= Infinity) continue; // never the nearest; skipping keeps the arithmetic finite
            if (k < 0) { k = 0; v[0] = q; z[0] = double.NegativeInfinity; z[1] = double.PositiveInfinity; continue; }
            double s;
            while (true)
            {
                int p = v[k];
                // Where the parabolas rooted at p and q cross; z[0] = -inf ends the loop.
                s = ((double)f[q] + (double)q * q - f[p] - (double)p * p) / (2.0 * (q - p));
                if (s <= z[k]) k--; else break;
            }
            k++;
            v[k] = q;
            z[k] = s;
            z[k + 1] = double.PositiveInfinity;
        }
        if (k < 0) { d.Fill(Infinity); return; }
        int j = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[j + 1] < q) j++;
            float dq = q - v[j];
            d[q] = dq * dq + f[v[j]];
        }
    }
}

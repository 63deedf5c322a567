using System.Numerics;
using System.Runtime.InteropServices;

namespace SegPlugins.Core.Masks.Internal;

/// <summary>
/// The hard-mask paths: thresholding the upscaled logits without computing them everywhere. Bilinear
/// interpolation is a weighted mean with non-negative weights, so an output can be above the threshold only where
/// one of its source samples is; everything outside the bounding region of such samples stays 0 (the fresh array's
/// zeros) and is never visited. Inside the region each output row is classified by its two source samples per
/// column pair: runs where both are clearly above (or clearly below) are filled (or skipped) in one go, and only
/// pairs near or across the threshold are evaluated per pixel, with the same float operations as
/// <see cref="Logits"/>, so the result equals thresholding <see cref="Logits"/> bit for bit.
/// </summary>
internal static partial class LogitUpscaler
{
    /// <summary>
    /// The hard mask (logit &gt; <paramref name="threshold"/> gives 255) at the source size, equal to thresholding
    /// <see cref="Logits"/> of <paramref name="frame"/>.
    /// </summary>
    public static byte[] Mask(float[] frame, int frameWidth, int frameHeight, int width, int height, float threshold)
    {
        var result = new byte[(long)width * height];
        var (lo, hi) = Margins(threshold);
        if (!BoundsAbove(frame, frameWidth, frameWidth, frameHeight, lo, out var fx0, out var fy0, out var fx1, out var fy1)) return result;
        ThresholdRegion(frame, frameWidth, 0, 0, frameWidth, frameHeight, fx0, fy0, fx1, fy1, width, height, threshold, lo, hi, result);
        return result;
    }

    /// <summary>
    /// The hard mask at the source size straight from SAM's low-res logits: equal to thresholding
    /// <see cref="Logits"/> of <see cref="ModelFrame"/>, but the model frame is computed only over the window that
    /// the region above the threshold reads.
    /// </summary>
    /// <param name="lowRes">lowSize x lowSize logits in the padded model frame.</param>
    /// <param name="cropWidth">Width of the resized image inside the model frame.</param>
    /// <param name="cropHeight">Height of the resized image inside the model frame.</param>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="threshold">Logit threshold (SAM: 0).</param>
    /// <param name="lowSize">Side of the low-res grid (256).</param>
    /// <param name="modelSize">Side of the model frame (1024).</param>
    public static byte[] MaskFromLowRes(ReadOnlySpan<float> lowRes, int cropWidth, int cropHeight, int width, int height, float threshold,
        int lowSize = 256, int modelSize = 1024)
    {
        var result = new byte[(long)width * height];
        var (lo, hi) = Margins(threshold);
        var ax = new Axis(lowSize, modelSize);
        // Low-res cells that feed the crop, and the bounds of those that can be above the threshold.
        int lowCols = ax.I1[cropWidth - 1] + 1, lowRows = ax.I1[cropHeight - 1] + 1;
        if (!BoundsAbove(lowRes, lowSize, lowCols, lowRows, lo, out var lx0, out var ly0, out var lx1, out var ly1)) return result;
        // Model-frame pixels that read one of those cells; every other frame value is a mean of values <= lo.
        if (!Through(ax, lx0, lx1, cropWidth, out var fx0, out var fx1) || !Through(ax, ly0, ly1, cropHeight, out var fy0, out var fy1))
            return result;
        // The frame window that the output region reads (one pixel more on each side at most).
        var ox = new Axis(cropWidth, width);
        var oy = new Axis(cropHeight, height);
        if (!Through(ox, fx0, fx1, width, out var ox0, out var ox1) || !Through(oy, fy0, fy1, height, out var oy0, out var oy1))
            return result;
        int cx0 = ox.I0[ox0], cx1 = ox.I1[ox1], cy0 = oy.I0[oy0], cy1 = oy.I1[oy1];
        int ww = cx1 - cx0 + 1, wh = cy1 - cy0 + 1;
        var window = new float[ww * wh];
        FrameWindow(lowRes, lowSize, ax, cx0, cy0, ww, wh, window);
        ThresholdRegion(window, ww, cx0, cy0, ww, wh, fx0, fy0, fx1, fy1, width, height, threshold, lo, hi, result, ox, oy);
        return result;
    }

    /// <summary>
    /// Below <c>lo</c> a bilinear mean is surely not above the threshold, above <c>hi</c> surely above it, rounding
    /// included (a mean of float products moves by a few ulps at most; the margin is 2^-12 relative plus a tiny
    /// absolute part for values near zero).
    /// </summary>
    private static (float Lo, float Hi) Margins(float threshold)
    {
        float m = MathF.Abs(threshold) * (1f / 4096) + 1e-30f;
        return (threshold - m, threshold + m);
    }

    /// <summary>Bounds of the values &gt; <paramref name="lo"/> in the top-left cols x rows of a map; false when there are none.</summary>
    private static bool BoundsAbove(ReadOnlySpan<float> map, int stride, int cols, int rows, float lo, out int x0, out int y0, out int x1, out int y1)
    {
        x0 = int.MaxValue; x1 = -1; y0 = -1; y1 = -1;
        for (int y = 0; y < rows; y++)
        {
            var row = map.Slice(y * stride, cols);
            int first = FirstAbove(row, lo);
            if (first < 0) continue;
            int last = LastAbove(row, lo);
            if (y0 < 0) y0 = y;
            y1 = y;
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
        }
        if (y0 < 0) x0 = -1;
        return y0 >= 0;
    }

    private static int FirstAbove(ReadOnlySpan<float> row, float lo)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<float>.Count)
        {
            var l = new Vector<float>(lo);
            var v = MemoryMarshal.Cast<float, Vector<float>>(row);
            for (; i < v.Length; i++)
                if (Vector.GreaterThanAny(v[i], l)) break;
            i *= Vector<float>.Count;
        }
        for (; i < row.Length; i++) if (row[i] > lo) return i;
        return -1;
    }

    private static int LastAbove(ReadOnlySpan<float> row, float lo)
    {
        for (int i = row.Length - 1; i >= 0; i--) if (row[i] > lo) return i;
        return -1;
    }

    /// <summary>The output indices [o0, o1] that read an input index in [a, b] (the axis tables are non-decreasing).</summary>
    private static bool Through(Axis axis, int a, int b, int outSize, out int o0, out int o1)
    {
        o0 = 0;
        while (o0 < outSize && axis.I1[o0] < a) o0++;
        o1 = outSize - 1;
        while (o1 >= 0 && axis.I0[o1] > b) o1--;
        return o0 <= o1;
    }

    /// <summary>The model frame (<see cref="ModelFrame"/>'s values, same operations) over ww x wh pixels from (cx0, cy0).</summary>
    private static void FrameWindow(ReadOnlySpan<float> lowRes, int lowSize, Axis ax, int cx0, int cy0, int ww, int wh, float[] window)
    {
        int l0 = ax.I0[cx0], l1 = ax.I1[cx0 + ww - 1];
        int n = l1 - l0 + 1;
        var rowBuf = new float[n];
        for (int r = 0; r < wh; r++)
        {
            int fy = cy0 + r;
            float wy = ax.W1[fy], wy0 = 1f - wy;
            var r0 = lowRes.Slice(ax.I0[fy] * lowSize + l0, n);
            var r1 = lowRes.Slice(ax.I1[fy] * lowSize + l0, n);
            for (int x = 0; x < n; x++) rowBuf[x] = wy0 * r0[x] + wy * r1[x];
            var dst = window.AsSpan(r * ww, ww);
            for (int j = 0; j < ww; j++)
            {
                int fx = cx0 + j;
                float wx = ax.W1[fx];
                dst[j] = (1f - wx) * rowBuf[ax.I0[fx] - l0] + wx * rowBuf[ax.I1[fx] - l0];
            }
        }
    }

    /// <summary>
    /// Thresholds the bilinear upscale of a frame to width x height, visiting only the outputs that read a frame
    /// pixel in [fx0, fx1] x [fy0, fy1] (the bounds of the values above <c>lo</c>). <paramref name="frame"/> holds the
    /// frame's pixels from (originX, originY), <paramref name="stride"/> per row; <paramref name="frameWidth"/> and
    /// <paramref name="frameHeight"/> are the whole frame's size (for the axes) unless the axes are given.
    /// </summary>
    private static void ThresholdRegion(float[] frame, int stride, int originX, int originY, int frameWidth, int frameHeight,
        int fx0, int fy0, int fx1, int fy1, int width, int height, float threshold, float lo, float hi, byte[] result,
        Axis? axisX = null, Axis? axisY = null)
    {
        var ax = axisX ?? new Axis(frameWidth, width);
        var ay = axisY ?? new Axis(frameHeight, height);
        if (!Through(ax, fx0, fx1, width, out var ox0, out var ox1) || !Through(ay, fy0, fy1, height, out var oy0, out var oy1)) return;
        // Frame columns the region reads, and for each the first output column that reads it as its left sample.
        int cx0 = ax.I0[ox0], cx1 = ax.I1[ox1];
        int n = cx1 - cx0 + 1;
        var start = new int[n + 1];
        {
            int x = ox0;
            for (int j = 0; j <= n; j++)
            {
                while (x <= ox1 && ax.I0[x] < cx0 + j) x++;
                start[j] = x;
            }
        }
        int rows = oy1 - oy0 + 1;
        ParallelRows.For(rows, (long)n * 2 + (ox1 - ox0 + 1) / 8, (a, b) =>
        {
            var rowBuf = new float[n];
            var cls = new int[n];
            for (int i = a; i < b; i++)
            {
                int y = oy0 + i;
                var r0 = frame.AsSpan((ay.I0[y] - originY) * stride + cx0 - originX, n);
                var r1 = frame.AsSpan((ay.I1[y] - originY) * stride + cx0 - originX, n);
                Blend(r0, r1, ay.W1[y], rowBuf);
                Classify(rowBuf, lo, hi, cls);
                ThresholdRow(rowBuf, cls, start, ax, cx0, threshold, result.AsSpan((int)((long)y * width), width));
            }
        });
    }

    /// <summary>dst = (1 - wy) * r0 + wy * r1, the operations of the scalar form in every lane; wy == 0 copies r0.</summary>
    internal static void Blend(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, float wy, Span<float> dst)
    {
        if (wy == 0f) { r0.CopyTo(dst); return; }
        float wy0 = 1f - wy;
        int x = 0;
        if (Vector.IsHardwareAccelerated && dst.Length >= Vector<float>.Count)
        {
            var a = MemoryMarshal.Cast<float, Vector<float>>(r0);
            var b = MemoryMarshal.Cast<float, Vector<float>>(r1);
            var d = MemoryMarshal.Cast<float, Vector<float>>(dst);
            var w0 = new Vector<float>(wy0);
            var w1 = new Vector<float>(wy);
            for (int k = 0; k < d.Length; k++) d[k] = w0 * a[k] + w1 * b[k];
            x = d.Length * Vector<float>.Count;
        }
        for (; x < dst.Length; x++) dst[x] = wy0 * r0[x] + wy * r1[x];
    }

    /// <summary>Per value: 0 at or below <paramref name="lo"/>, 2 above <paramref name="hi"/>, 1 between (decided per pixel).</summary>
    internal static void Classify(ReadOnlySpan<float> values, float lo, float hi, Span<int> cls)
    {
        int x = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var v = MemoryMarshal.Cast<float, Vector<float>>(values);
            var c = MemoryMarshal.Cast<int, Vector<int>>(cls);
            var l = new Vector<float>(lo);
            var h = new Vector<float>(hi);
            // Comparisons give -1 (all bits set) for true.
            for (int k = 0; k < v.Length; k++) c[k] = -(Vector.GreaterThan(v[k], l) + Vector.GreaterThan(v[k], h));
            x = v.Length * Vector<float>.Count;
        }
        for (; x < values.Length; x++) cls[x] = (values[x] > lo ? 1 : 0) + (values[x] > hi ? 1 : 0);
    }

    /// <summary>
    /// One output row: frame column cx0 + j is the left sample of outputs [start[j], start[j + 1]). Where both samples
    /// of a column pair are of class 2 the outputs are 255, class 0 they stay 0, otherwise each is evaluated.
    /// </summary>
    private static void ThresholdRow(float[] rowBuf, int[] cls, int[] start, Axis ax, int cx0, float threshold, Span<byte> dst)
    {
        int n = rowBuf.Length;
        var c = cls.AsSpan(0, n);
        int j = 0;
        while (j < n)
        {
            int k = c[j];
            int next = c.Slice(j + 1).IndexOfAnyExcept(k);
            int end = next < 0 ? n : j + 1 + next; // columns [j, end) are of class k
            // Pairs inside the run are uniform; the last column of the frame pairs with itself.
            int uniformEnd = end == n ? n : end - 1;
            if (uniformEnd > j)
            {
                if (k == 2) dst[start[j]..start[uniformEnd]].Fill(255);
                else if (k == 1) Evaluate(rowBuf, ax, cx0, start[j], start[uniformEnd], threshold, dst);
            }
            if (end < n) Evaluate(rowBuf, ax, cx0, start[end - 1], start[end], threshold, dst);
            j = end;
        }
    }

    private static void Evaluate(float[] rowBuf, Axis ax, int cx0, int x0, int x1, float threshold, Span<byte> dst)
    {
        for (int x = x0; x < x1; x++)
        {
            float wx = ax.W1[x];
            float v = (1f - wx) * rowBuf[ax.I0[x] - cx0] + wx * rowBuf[ax.I1[x] - cx0];
            dst[x] = v > threshold ? (byte)255 : (byte)0;
        }
    }
}

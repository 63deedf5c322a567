using System.Numerics;
using System.Runtime.InteropServices;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation.Internal;

namespace SegPlugins.Core.Segmentation.FastSam.Internal;

/// <summary>A candidate detection in the detector's input frame.</summary>
/// <summary>Prototype cells [C0, C1) x [R0, R1) that may be non-zero.</summary>
internal readonly record struct CellRange(int C0, int C1, int R0, int R1)
{
    public bool IsEmpty => C1 <= C0 || R1 <= R0;
    public bool HasColumn(int c) => c >= C0 && c < C1;
    public bool HasRow(int r) => r >= R0 && r < R1;
}

internal readonly record struct Candidate(int Anchor, float Score, float X0, float Y0, float X1, float Y1);

/// <summary>
/// The YOLOv8-seg / FastSAM post-processing: confidence filter, greedy NMS, prototype masks (coefficients times
/// prototypes, sigmoid, box crop at prototype resolution) and the retina-mask upsampling to the source size.
/// </summary>
internal static class FastSamDecode
{
    /// <summary>
    /// Detections of a [4+nc+nm, A] head (row-major: row r, anchor a at r*A + a) whose best class score is above
    /// <paramref name="confidence"/>, most confident first (equal scores keep anchor order, as a stable sort).
    /// </summary>
    public static List<Candidate> Candidates(ReadOnlySpan<float> head, int anchors, int classes, float confidence)
    {
        var result = new List<Candidate>();
        var cx = head.Slice(0, anchors);
        var cy = head.Slice(anchors, anchors);
        var w = head.Slice(2 * anchors, anchors);
        var h = head.Slice(3 * anchors, anchors);
        for (int a = 0; a < anchors; a++)
        {
            float best = head[4 * anchors + a];
            for (int c = 1; c < classes; c++) best = Math.Max(best, head[(4 + c) * anchors + a]);
            if (!(best > confidence)) continue;
            float hw = w[a] / 2, hh = h[a] / 2;
            result.Add(new Candidate(a, best, cx[a] - hw, cy[a] - hh, cx[a] + hw, cy[a] + hh));
        }
        // List.Sort is not stable; the anchor index breaks ties so the order is the stable one.
        result.Sort(static (p, q) => p.Score != q.Score ? q.Score.CompareTo(p.Score) : p.Anchor.CompareTo(q.Anchor));
        return result;
    }

    /// <summary>Greedy NMS over candidates sorted by descending score: drop any with IoU &gt; <paramref name="iou"/> against a kept one.</summary>
    public static List<Candidate> Nms(List<Candidate> sorted, float iou, int maxKeep) =>
        BoxNms.Greedy(sorted, static c => new BoxXyxy(c.X0, c.Y0, c.X1, c.Y1), iou, maxKeep);

    /// <summary>
    /// sigmoid(coef . prototypes) inside the box, 0 outside, at prototype resolution. The box is in the input
    /// frame; a cell (r, c) is inside when x0' &lt;= c &lt; x1' and y0' &lt;= r &lt; y1' with the box scaled to the
    /// prototype grid.
    /// </summary>
    public static CellRange ProtoMask(ReadOnlySpan<float> coef, ReadOnlySpan<float> protos, int protoW, int protoH, float scaleX, float scaleY,
        Candidate box, Span<float> dst)
    {
        int plane = protoW * protoH;
        dst.Slice(0, plane).Clear();
        // First and last-plus-one cells inside the half-open box.
        int c0 = Math.Clamp((int)MathF.Ceiling(box.X0 * scaleX), 0, protoW);
        int c1 = Math.Clamp((int)MathF.Ceiling(box.X1 * scaleX), 0, protoW);
        int r0 = Math.Clamp((int)MathF.Ceiling(box.Y0 * scaleY), 0, protoH);
        int r1 = Math.Clamp((int)MathF.Ceiling(box.Y1 * scaleY), 0, protoH);
        if (c1 <= c0 || r1 <= r0) return default;
        int n = c1 - c0;
        for (int r = r0; r < r1; r++)
        {
            var acc = dst.Slice(r * protoW + c0, n);
            for (int k = 0; k < coef.Length; k++)
                MulAdd(protos.Slice(k * plane + r * protoW + c0, n), coef[k], acc);
            for (int i = 0; i < acc.Length; i++) acc[i] = 1f / (1f + MathF.Exp(-acc[i]));
        }
        return new CellRange(c0, c1, r0, r1);
    }

    /// <summary>acc += a * x, vectorised with a scalar remainder (same arithmetic per element).</summary>
    internal static void MulAdd(ReadOnlySpan<float> x, float a, Span<float> acc)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var va = new Vector<float>(a);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            var av = MemoryMarshal.Cast<float, Vector<float>>(acc);
            for (int v = 0; v < xv.Length; v++) av[v] += xv[v] * va;
            i = xv.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) acc[i] += x[i] * a;
    }

    /// <summary>
    /// The prototype-resolution mask upsampled bilinearly (half-pixel) to the S x S input and cut to the
    /// letterboxed image (the padding removed): <c>NewWidth x NewHeight</c> values.
    /// </summary>
    /// <remarks>
    /// Only output pixels whose bilinear taps touch <paramref name="nonZero"/> (the cells that can be non-zero)
    /// are computed; the rest stay 0, which is what the full computation gives there.
    /// </remarks>
    public static float[] InputFrame(ReadOnlySpan<float> proto, int protoW, int protoH, Letterbox lb, CellRange? nonZero = null)
    {
        var ax = new LogitUpscaler.Axis(protoW, lb.Size);
        var ay = new LogitUpscaler.Axis(protoH, lb.Size);
        var result = new float[lb.NewWidth * lb.NewHeight];
        var cells = nonZero ?? new CellRange(0, protoW, 0, protoH);
        if (cells.IsEmpty) return result;
        // Output columns whose taps reach a possibly non-zero cell.
        int xa = lb.NewWidth, xb = 0;
        for (int x = 0; x < lb.NewWidth; x++)
        {
            int sx = x + lb.PadLeft;
            if (cells.HasColumn(ax.I0[sx]) || cells.HasColumn(ax.I1[sx])) { xa = Math.Min(xa, x); xb = x + 1; }
        }
        var rowBuf = new float[protoW];
        for (int y = 0; y < lb.NewHeight; y++)
        {
            int sy = y + lb.PadTop;
            if (!cells.HasRow(ay.I0[sy]) && !cells.HasRow(ay.I1[sy])) continue;
            float wy = ay.W1[sy], wy0 = 1f - wy;
            var p0 = proto.Slice(ay.I0[sy] * protoW, protoW);
            var p1 = proto.Slice(ay.I1[sy] * protoW, protoW);
            for (int x = 0; x < protoW; x++) rowBuf[x] = wy0 * p0[x] + wy * p1[x];
            var dst = result.AsSpan(y * lb.NewWidth, lb.NewWidth);
            for (int x = xa; x < xb; x++)
            {
                int sx = x + lb.PadLeft;
                float wx = ax.W1[sx];
                dst[x] = (1f - wx) * rowBuf[ax.I0[sx]] + wx * rowBuf[ax.I1[sx]];
            }
        }
        return result;
    }
}

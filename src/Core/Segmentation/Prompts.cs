using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation;

/// <summary>
/// The prompts of one prediction: any number of points, at most one box, and optionally the
/// previous prediction's 256x256 low-resolution logits for refinement.
/// </summary>
public sealed record PromptSet
{
    public IReadOnlyList<PointPrompt> Points { get; init; } = Array.Empty<PointPrompt>();
    public BoxXyxy? Box { get; init; }

    /// <summary>Low-res logits of an earlier prediction (<see cref="MaskPrediction.LowResLogits"/>), fed back to refine.</summary>
    public LogitMap? MaskInput { get; init; }

    public bool IsEmpty => Points.Count == 0 && Box is null;

    public static PromptSet FromPoints(params PointPrompt[] points) => new() { Points = points };
    public static PromptSet FromBox(BoxXyxy box) => new() { Box = box };

    /// <summary>
    /// Checks the prompts against an image of the given size and throws a <see cref="SegArgumentException"/>
    /// naming the bad prompt. Points and boxes must be finite and inside [0,width]x[0,height].
    /// </summary>
    public void Validate(int imageWidth, int imageHeight, bool requirePrompt = true)
    {
        if (requirePrompt && IsEmpty)
            throw new SegArgumentException("prompt", "no point or box given; add at least one point (x,y) or a box (x0,y0,x1,y1)");
        for (int i = 0; i < Points.Count; i++)
        {
            var p = Points[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y))
                throw new SegArgumentException($"point[{i}]", $"({p.X},{p.Y}) is not a finite number");
            if (p.X < 0 || p.Y < 0 || p.X > imageWidth || p.Y > imageHeight)
                throw new SegArgumentException($"point[{i}]", $"({p.X},{p.Y}) is outside the image (0..{imageWidth}, 0..{imageHeight})");
        }
        if (Box is { } b)
        {
            if (!float.IsFinite(b.X0) || !float.IsFinite(b.Y0) || !float.IsFinite(b.X1) || !float.IsFinite(b.Y1))
                throw new SegArgumentException("box", $"({b.X0},{b.Y0},{b.X1},{b.Y1}) is not made of finite numbers");
            if (b.X1 < b.X0 || b.Y1 < b.Y0)
                throw new SegArgumentException("box", $"({b.X0},{b.Y0},{b.X1},{b.Y1}) has x1 < x0 or y1 < y0; expected x0,y0 top-left and x1,y1 bottom-right");
            if (b.X0 < 0 || b.Y0 < 0 || b.X1 > imageWidth || b.Y1 > imageHeight)
                throw new SegArgumentException("box", $"({b.X0},{b.Y0},{b.X1},{b.Y1}) is outside the image (0..{imageWidth}, 0..{imageHeight})");
        }
        if (MaskInput is { } m && (m.Width != 256 || m.Height != 256))
            throw new SegArgumentException("mask input", $"low-res logits must be 256x256, got {m.Width}x{m.Height}");
    }
}

namespace SegPlugins.Core.Effects;

/// <summary>
/// Maps pan-control coordinates to image pixels. Pan controls (Paint.NET's DoubleVectorProperty with the pan control)
/// report a point as two numbers in -1..1 relative to the image: (-1,-1) is the top-left corner of the image,
/// (0,0) its centre, (1,1) its bottom-right corner; y grows downwards as on screen. The image here is the whole
/// canvas, not the selection, so a point keeps its place on the picture when the selection changes.
/// Pixel x = (u + 1) / 2 · width, y = (v + 1) / 2 · height, clamped to the image ([0, width] × [0, height], the
/// range prompts accept).
/// </summary>
public static class PanCoordinates
{
    public static (float X, float Y) ToPixel(PanPoint p, int width, int height)
    {
        Check(width, height);
        if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
            throw new SegArgumentException("point", $"({p.X},{p.Y}) is not a finite pan position; expected numbers in -1..1");
        double x = (Math.Clamp(p.X, -1, 1) + 1) * 0.5 * width;
        double y = (Math.Clamp(p.Y, -1, 1) + 1) * 0.5 * height;
        return ((float)x, (float)y);
    }

    /// <summary>The pan position of pixel coordinates (the inverse of <see cref="ToPixel"/> inside the image).</summary>
    public static PanPoint FromPixel(double x, double y, int width, int height)
    {
        Check(width, height);
        return new PanPoint(x / width * 2 - 1, y / height * 2 - 1);
    }

    private static void Check(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new SegArgumentException("image", $"size must be at least 1x1, got {width}x{height}");
    }
}

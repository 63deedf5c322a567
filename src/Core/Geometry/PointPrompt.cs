namespace SegPlugins.Core.Geometry;

/// <summary>A click in source pixel coordinates (x right, y down; pixel centres at +0.5 are not implied).</summary>
public readonly record struct PointPrompt(float X, float Y, bool Positive = true)
{
    public static PointPrompt Include(float x, float y) => new(x, y, true);
    public static PointPrompt Exclude(float x, float y) => new(x, y, false);
}

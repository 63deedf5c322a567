namespace SegPlugins.Core.Geometry;

/// <summary>An axis-aligned pixel rectangle: columns X..X+Width-1, rows Y..Y+Height-1.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public int Right => X + Width;
    public int Bottom => Y + Height;
    public bool IsEmpty => Width <= 0 || Height <= 0;
    public override string ToString() => $"{Width}x{Height} at ({X},{Y})";

    /// <summary>Throws unless the rectangle is non-empty and lies inside a width x height image.</summary>
    internal void CheckInside(int width, int height, string parameter)
    {
        if (Width <= 0 || Height <= 0)
            throw new SegArgumentException(parameter, $"rectangle {this} is empty; width and height must be at least 1");
        if (X < 0 || Y < 0 || (long)X + Width > width || (long)Y + Height > height)
            throw new SegArgumentException(parameter, $"rectangle {this} is not inside the {width}x{height} image");
    }
}

namespace SegPlugins.Core.Geometry;

/// <summary>A box in source pixel coordinates: top-left (X0,Y0), bottom-right (X1,Y1), X1 &gt;= X0, Y1 &gt;= Y0.</summary>
public readonly record struct BoxXyxy(float X0, float Y0, float X1, float Y1)
{
    public float Width => X1 - X0;
    public float Height => Y1 - Y0;
}

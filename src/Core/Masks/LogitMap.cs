namespace SegPlugins.Core.Masks;

/// <summary>
/// A float map, row-major, stride = width: model logits (mask = logit &gt; 0) or soft values.
/// </summary>
public sealed class LogitMap
{
    public LogitMap(int width, int height)
    {
        MaskChecks.Size(width, height, "logits");
        Width = width;
        Height = height;
        Data = new float[checked(width * height)];
    }

    public LogitMap(int width, int height, float[] data)
    {
        MaskChecks.Size(width, height, "logits");
        if (data.Length != (long)width * height)
            throw new SegArgumentException("logits", $"data has {data.Length} values, expected {width}x{height} = {(long)width * height}");
        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }
    public int Height { get; }
    public float[] Data { get; }
    public Span<float> Row(int y) => Data.AsSpan(y * Width, Width);
    public float this[int x, int y] => Data[y * Width + x];

    /// <summary>Hard mask where logit &gt; <paramref name="threshold"/> (SAM thresholds at 0).</summary>
    public Mask ToMask(float threshold = 0f)
    {
        var m = new Mask(Width, Height);
        Internal.ByteOps.Threshold(Data, threshold, m.Data);
        return m;
    }

    public LogitMap Clone() => new(Width, Height, (float[])Data.Clone());
}

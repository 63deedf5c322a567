namespace SegPlugins.Core.Masks;

/// <summary>
/// A soft selection: one alpha byte per pixel, 0 (outside) to 255 (inside), row-major, stride = width.
/// Feathered edges, refined edges and cut-out alpha use it; a hard <see cref="Mask"/> is the special case 0/255.
/// </summary>
public sealed class SoftMask
{
    /// <summary>Allocates a cleared (all 0) soft mask.</summary>
    public SoftMask(int width, int height)
    {
        MaskChecks.Size(width, height, "soft mask");
        Width = width;
        Height = height;
        Data = new byte[width * height];
    }

    /// <summary>Wraps <paramref name="data"/> (width*height alpha bytes) without copying.</summary>
    public SoftMask(int width, int height, byte[] data)
    {
        MaskChecks.Size(width, height, "soft mask");
        MaskChecks.Length(data.Length, width, height, "soft mask");
        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Data { get; }
    public Span<byte> Row(int y) => Data.AsSpan(y * Width, Width);
    public byte this[int x, int y] => Data[y * Width + x];

    /// <summary>Alpha as 0..1 floats (value / 255).</summary>
    public float[] ToFloats()
    {
        var r = new float[Data.Length];
        const float scale = 1f / 255f;
        for (int i = 0; i < r.Length; i++) r[i] = Data[i] * scale;
        return r;
    }

    /// <summary>Builds a soft mask from 0..1 floats; values are clamped and rounded to the nearest of 256 levels; NaN counts as 0.</summary>
    public static SoftMask FromFloats(int width, int height, ReadOnlySpan<float> values)
    {
        MaskChecks.Size(width, height, "soft mask");
        MaskChecks.Length(values.Length, width, height, "values");
        var m = new SoftMask(width, height);
        var d = m.Data;
        for (int i = 0; i < d.Length; i++)
        {
            float v = values[i];
            d[i] = v > 0f ? (v >= 1f ? (byte)255 : (byte)(v * 255f + 0.5f)) : (byte)0;
        }
        return m;
    }

    /// <summary>Alpha 255 where the mask is set, 0 elsewhere.</summary>
    public static SoftMask FromMask(Mask mask) => new(mask.Width, mask.Height, (byte[])mask.Data.Clone());

    /// <summary>Hard mask where alpha &gt;= <paramref name="threshold"/> (default 128, i.e. alpha &gt;= 0.5).</summary>
    public Mask ToMask(byte threshold = 128)
    {
        if (threshold == 0) throw new SegArgumentException(nameof(threshold), "must be 1..255; 0 would select every pixel");
        var m = new Mask(Width, Height);
        var d = m.Data;
        for (int i = 0; i < d.Length; i++) d[i] = Data[i] >= threshold ? Mask.On : Mask.Off;
        return m;
    }

    public SoftMask Clone() => new(Width, Height, (byte[])Data.Clone());
}

using SegPlugins.Core.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Evaluation;

/// <summary>
/// A ground-truth labelling: every pixel is <see cref="Object"/>, <see cref="Background"/> or <see cref="Ignore"/>
/// (a band around the outline that scoring and the click simulator leave out).
/// </summary>
public sealed class GroundTruth
{
    public const byte Object = 255;
    public const byte Background = 0;

    /// <summary>The value benchmark trimaps use for the unlabelled band (GrabCut ground truth).</summary>
    public const byte Ignore = 128;

    /// <summary>Wraps labels (each 0, 128 or 255, stride = width) without copying.</summary>
    public GroundTruth(int width, int height, byte[] labels)
    {
        MaskChecks.Size(width, height, "ground truth");
        if (labels.Length != (long)width * height)
            throw new SegArgumentException("ground truth", $"has {labels.Length} labels, expected {width}x{height} = {(long)width * height}");
        int bad = labels.AsSpan().IndexOfAnyExcept(Background, Ignore, Object);
        if (bad >= 0)
            throw new SegArgumentException("ground truth", $"pixel ({bad % width},{bad / width}) has value {labels[bad]}; expected 0 (background), 128 (ignore) or 255 (object)");
        Width = width;
        Height = height;
        Labels = labels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Labels { get; }

    /// <summary>A ground truth without an ignore band.</summary>
    public static GroundTruth FromMask(Mask mask) => new(mask.Width, mask.Height, (byte[])mask.Data.Clone());

    /// <summary>
    /// Maps 8-bit grey values to labels: exactly 128 is the ignore band, above it object, below it background.
    /// Scanned masks and resampled files carry values near 0 and 255, which this keeps on the right side.
    /// </summary>
    public static GroundTruth FromGrey(int width, int height, ReadOnlySpan<byte> grey)
    {
        var labels = new byte[checked(width * height)];
        if (grey.Length != labels.Length)
            throw new SegArgumentException("ground truth", $"has {grey.Length} values, expected {width}x{height}");
        for (int i = 0; i < labels.Length; i++)
        {
            byte g = grey[i];
            labels[i] = g == Ignore ? Ignore : g > Ignore ? Object : Background;
        }
        return new GroundTruth(width, height, labels);
    }

    public long ObjectPixels => ScoreKernels.Count(Labels, Object);
    public long IgnorePixels => ScoreKernels.Count(Labels, Ignore);

    /// <summary>
    /// The tight box around the object pixels, inclusive pixel corners (the benchmark convention), or null when
    /// there is no object pixel.
    /// </summary>
    public BoxXyxy? TightBox()
    {
        int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
        for (int y = 0; y < Height; y++)
        {
            var row = Labels.AsSpan(y * Width, Width);
            int first = row.IndexOf(Object);
            if (first < 0) continue;
            int last = row.LastIndexOf(Object);
            if (y < y0) y0 = y;
            y1 = y;
            if (first < x0) x0 = first;
            if (last > x1) x1 = last;
        }
        return x1 < 0 ? null : new BoxXyxy(x0, y0, x1, y1);
    }

    /// <summary>The object as a hard mask (the ignore band counts as outside).</summary>
    public Mask ObjectMask()
    {
        var m = new Mask(Width, Height);
        for (int i = 0; i < Labels.Length; i++) m.Data[i] = Labels[i] == Object ? Mask.On : Mask.Off;
        return m;
    }
}

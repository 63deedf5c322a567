using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation.FastSam.Internal;

namespace SegPlugins.Core.Segmentation.FastSam;

/// <summary>
/// The letterbox between a source image and the square detector input (YOLOv8 / FastSAM preprocessing): scale
/// by <c>gain = min(S/h, S/w)</c>, round each side, centre the result with the padding split as
/// <c>round(d - 0.1)</c> before and the rest after (an odd padding puts the extra pixel right/bottom), fill 114.
/// </summary>
public readonly record struct Letterbox(int SourceWidth, int SourceHeight, int Size, double Gain, int NewWidth, int NewHeight, int PadLeft, int PadTop)
{
    /// <summary>Grey level of the padding (the exporter's letterbox fill).</summary>
    public const byte Fill = 114;

    public int PadRight => Size - NewWidth - PadLeft;
    public int PadBottom => Size - NewHeight - PadTop;

    public static Letterbox For(int width, int height, int size)
    {
        if (width <= 0 || height <= 0)
            throw new SegArgumentException("image", $"size must be at least 1x1, got {width}x{height}");
        if (size <= 0) throw new SegArgumentException("input size", $"must be positive, got {size}");
        double gain = Math.Min((double)size / height, (double)size / width);
        // Python's round() is half-to-even, which Math.Round does by default.
        int nw = Math.Clamp((int)Math.Round(width * gain), 1, size);
        int nh = Math.Clamp((int)Math.Round(height * gain), 1, size);
        double dw = (size - nw) / 2.0, dh = (size - nh) / 2.0;
        return new Letterbox(width, height, size, gain, nw, nh, (int)Math.Round(dw - 0.1), (int)Math.Round(dh - 0.1));
    }

    /// <summary>An input-frame x back to source pixels, clipped to the image.</summary>
    public float ToSourceX(float x) => (float)Math.Clamp((x - PadLeft) / Gain, 0, SourceWidth);

    public float ToSourceY(float y) => (float)Math.Clamp((y - PadTop) / Gain, 0, SourceHeight);

    /// <summary>The letterboxed image as a [1,3,S,S] RGB tensor scaled to 0..1 (bilinear resize, half-pixel centres).</summary>
    public float[] ToTensor(BgraImage image)
    {
        if (image.Width != SourceWidth || image.Height != SourceHeight)
            throw new SegArgumentException("image", $"is {image.Width}x{image.Height}; the letterbox was computed for {SourceWidth}x{SourceHeight}");
        var chw = new float[3 * Size * Size];
        LetterboxResize.Run(image, this, chw);
        return chw;
    }
}

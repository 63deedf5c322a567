namespace SegPlugins.Core.Segmentation;

/// <summary>
/// The geometry between a source image and SAM's 1024x1024 model frame: the image is resized so its longest
/// side is 1024 (each side rounded as int(side*scale + 0.5), as SamPredictor's ResizeLongestSide does), then
/// zero-padded on the right and bottom.
/// </summary>
public readonly record struct SamTransform(int SourceWidth, int SourceHeight, int ResizedWidth, int ResizedHeight)
{
    /// <summary>Side of the square model input.</summary>
    public const int ModelSize = 1024;

    /// <summary>Side of the low-resolution mask grid (model frame / 4).</summary>
    public const int LowResSize = 256;

    public static SamTransform For(int width, int height, int longSide = ModelSize)
    {
        if (width <= 0 || height <= 0)
            throw new SegArgumentException("image", $"size must be at least 1x1, got {width}x{height}");
        double scale = (double)longSide / Math.Max(width, height);
        int newW = (int)(width * scale + 0.5);
        int newH = (int)(height * scale + 0.5);
        return new SamTransform(width, height, Math.Max(newW, 1), Math.Max(newH, 1));
    }

    /// <summary>Maps a source-pixel x to the model frame (scaled per axis by the rounded size, like the reference).</summary>
    public float MapX(float x) => (float)(x * ((double)ResizedWidth / SourceWidth));

    public float MapY(float y) => (float)(y * ((double)ResizedHeight / SourceHeight));
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation.Clip;

/// <summary>Image crops for scoring masks with CLIP.</summary>
public static class ClipCrops
{
    /// <summary>
    /// The mask's bounding box of the image with every pixel outside the mask white (FastSAM pastes crops on
    /// white so the background does not vote). An empty mask gives a 1x1 white image.
    /// </summary>
    public static BgraImage MaskOnWhite(BgraImage image, Mask mask)
    {
        if (image.Width != mask.Width || image.Height != mask.Height)
            throw new SegArgumentException("mask", $"is {mask.Width}x{mask.Height} but the image is {image.Width}x{image.Height}");
        var box = mask.BoundingBox() ?? new PixelRect(0, 0, 1, 1);
        var crop = new BgraImage(box.Width, box.Height);
        for (int y = 0; y < box.Height; y++)
        {
            var src = image.RowUInt32(box.Y + y).Slice(box.X, box.Width);
            var m = mask.Row(box.Y + y).Slice(box.X, box.Width);
            var dst = crop.RowUInt32(y);
            for (int x = 0; x < box.Width; x++) dst[x] = m[x] != 0 ? src[x] | 0xFF000000u : 0xFFFFFFFFu;
        }
        return crop;
    }
}

using SegPlugins.Core;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Evaluation.Internal;

/// <summary>A rectangle of the source image that the model sees as its whole input (X0,Y0 top-left, exclusive size).</summary>
internal readonly record struct CropFrame(int X0, int Y0, int Width, int Height)
{
    /// <summary>Side of the square model input of SAM-family encoders (the image's longest side is resized to it).</summary>
    public const int ModelSide = 1024;

    /// <summary>Side of the low-res logits (a quarter of the model input).</summary>
    public const int LowResSide = 256;

    public double ModelScale => (double)ModelSide / Math.Max(Width, Height);

    public bool Contains(float x, float y) => x >= X0 && y >= Y0 && x < X0 + Width && y < Y0 + Height;

    public static CropFrame Whole(BgraImage image) => new(0, 0, image.Width, image.Height);

    public BgraImage Cut(BgraImage image)
    {
        var crop = new BgraImage(Width, Height);
        for (int y = 0; y < Height; y++)
            image.Row(Y0 + y).Slice(X0 * BgraImage.BytesPerPixel, Width * BgraImage.BytesPerPixel).CopyTo(crop.Row(y));
        return crop;
    }

    public PointPrompt ToCrop(PointPrompt p) => p with { X = p.X - X0, Y = p.Y - Y0 };

    /// <summary>Pastes a crop-sized mask into a mask of the full image; everything outside the crop is background.</summary>
    public Mask PasteInto(Mask cropMask, int imageWidth, int imageHeight)
    {
        var full = new Mask(imageWidth, imageHeight);
        for (int y = 0; y < Height; y++)
            cropMask.Row(y).CopyTo(full.Row(Y0 + y).Slice(X0, Width));
        return full;
    }

    /// <summary>True when the mask reaches a crop edge that is not also an image edge (the object may go on outside).</summary>
    public bool TouchesInnerEdge(Mask cropMask, int imageWidth, int imageHeight)
    {
        if (Y0 > 0 && cropMask.Row(0).IndexOfAnyExcept((byte)0) >= 0) return true;
        if (Y0 + Height < imageHeight && cropMask.Row(Height - 1).IndexOfAnyExcept((byte)0) >= 0) return true;
        bool left = X0 > 0, right = X0 + Width < imageWidth;
        if (!left && !right) return false;
        for (int y = 0; y < Height; y++)
        {
            var row = cropMask.Row(y);
            if (left && row[0] != 0) return true;
            if (right && row[Width - 1] != 0) return true;
        }
        return false;
    }

    /// <summary>
    /// A crop around the inclusive pixel box (bx0,by0)-(bx1,by1), each side scaled by <paramref name="expansion"/>
    /// and at least <paramref name="minSize"/> (both capped by the image), shifted to lie inside the image.
    /// </summary>
    public static CropFrame Around(int bx0, int by0, int bx1, int by1, double expansion, int minSize, int imageWidth, int imageHeight)
    {
        var r = PixelBounds.Grow(bx0, by0, bx1, by1, expansion, minSize, imageWidth, imageHeight);
        return new CropFrame(r.X, r.Y, r.Width, r.Height);
    }

    /// <summary>Inclusive bounds of the set pixels of <paramref name="mask"/>, grown to include <paramref name="points"/>; false when both are empty.</summary>
    public static bool Bounds(Mask? mask, IReadOnlyList<PointPrompt> points, out int x0, out int y0, out int x1, out int y1)
    {
        var b = PixelBounds.Empty;
        if (mask is not null) b.IncludeSet(mask.Data, mask.Width, mask.Height);
        foreach (var p in points) b.Include((int)p.X, (int)p.Y);
        (x0, y0, x1, y1) = (b.X0, b.Y0, b.X1, b.Y1);
        return x1 >= 0;
    }

    /// <summary>
    /// Re-expresses low-res logits predicted in frame <paramref name="from"/> in the low-res grid of frame
    /// <paramref name="to"/> (bilinear), so that a refinement can continue after the view changes. Places that
    /// <paramref name="from"/> never saw, and the padding of <paramref name="to"/>'s square input, get
    /// <paramref name="outside"/>.
    /// </summary>
    public static LogitMap Resample(LogitMap logits, CropFrame from, CropFrame to, float outside)
    {
        const int n = LowResSide;
        var result = new LogitMap(n, n);
        double sTo = to.ModelScale, sFrom = from.ModelScale;
        double lowPerModel = (double)n / ModelSide;
        var src = logits.Data;
        var dst = result.Data;
        for (int v = 0; v < n; v++)
        {
            // Centre of low-res cell v in the target crop's pixel coordinates (continuous, pixel i spans [i, i+1)).
            double cy = (v + 0.5) / lowPerModel / sTo;
            double qy = cy + to.Y0 - from.Y0;
            bool rowOut = cy >= to.Height || qy < 0 || qy >= from.Height;
            double gy = qy * sFrom * lowPerModel - 0.5;
            int y0 = (int)Math.Floor(gy);
            double fy = gy - y0;
            int ya = Math.Clamp(y0, 0, n - 1), yb = Math.Clamp(y0 + 1, 0, n - 1);
            for (int u = 0; u < n; u++)
            {
                double cx = (u + 0.5) / lowPerModel / sTo;
                double qx = cx + to.X0 - from.X0;
                if (rowOut || cx >= to.Width || qx < 0 || qx >= from.Width) { dst[v * n + u] = outside; continue; }
                double gx = qx * sFrom * lowPerModel - 0.5;
                int x0 = (int)Math.Floor(gx);
                double fx = gx - x0;
                int xa = Math.Clamp(x0, 0, n - 1), xb = Math.Clamp(x0 + 1, 0, n - 1);
                double top = src[ya * n + xa] * (1 - fx) + src[ya * n + xb] * fx;
                double bottom = src[yb * n + xa] * (1 - fx) + src[yb * n + xb] * fx;
                dst[v * n + u] = (float)(top * (1 - fy) + bottom * fy);
            }
        }
        return result;
    }
}

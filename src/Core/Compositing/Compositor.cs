using SegPlugins.Core.Compositing.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Compositing;

/// <summary>
/// Cut-outs and background replacement in straight (non-premultiplied) alpha. Effective foreground alpha is
/// a = round(mask · imageAlpha / 255). Over an opaque background each channel is
/// out = (a·F + (255 - a)·B + 127) / 255 in integers, i.e. a·F + (1-a)·B rounded to nearest; over a translucent
/// background the full straight-alpha "over" is used (colour weighted by each layer's coverage, then divided by
/// the result alpha), so edges never darken. Results go into <c>destination</c> (allocated when null), which may
/// be the source image itself.
/// </summary>
public static class Compositor
{
    /// <summary>Image colours with alpha = mask alpha × image alpha.</summary>
    public static BgraImage CutOut(BgraImage image, SoftMask alpha, CutOutOptions? options = null, BgraImage? destination = null)
    {
        var dst = Prepare(image, alpha, destination);
        var est = Estimate(image, alpha, options);
        Blend.Run(image, alpha.Data, dst, est, BackgroundRows.Transparent);
        return dst;
    }

    public static BgraImage CutOut(BgraImage image, Mask mask, CutOutOptions? options = null, BgraImage? destination = null) =>
        CutOut(image, mask.ToSoftMask(), options, destination);

    /// <summary>Composites the selected foreground over <paramref name="background"/>.</summary>
    public static BgraImage ReplaceBackground(BgraImage image, SoftMask alpha, Background background, CutOutOptions? options = null, BgraImage? destination = null)
    {
        if (background is null) throw new SegArgumentException(nameof(background), "is null; use Background.Color, Background.Image or Background.Blur");
        var dst = Prepare(image, alpha, destination);
        var est = Estimate(image, alpha, options);
        var src = image;
        BackgroundRows rows;
        switch (background)
        {
            case Background.SolidColor c:
                rows = BackgroundRows.Solid(c.B, c.G, c.R, c.A);
                break;
            case Background.Picture p:
                rows = BackgroundRows.Cover(p.Source, image.Width, image.Height);
                break;
            case Background.Blurred b when b.Sigma >= 4:
                rows = BackgroundRows.Blurred(image, b.Sigma);
                break;
            case Background.Blurred b:
                // Small blurs run at full resolution, built in the destination itself, so the source must survive separately.
                if (ReferenceEquals(dst, image) || ReferenceEquals(dst.Pixels, image.Pixels)) src = image.Clone();
                for (int y = 0; y < image.Height; y++) src.Row(y).CopyTo(dst.Row(y));
                BoxBlur.Blur(dst.Pixels, 0, dst.Stride, dst.Width, dst.Height, 4, BoxBlur.RadiusForSigma(b.Sigma), 3);
                rows = BackgroundRows.InPlace;
                break;
            default:
                throw new SegArgumentException(nameof(background), $"unsupported background {background.GetType().Name}");
        }
        Blend.Run(src, alpha.Data, dst, est, rows);
        return dst;
    }

    public static BgraImage ReplaceBackground(BgraImage image, Mask mask, Background background, CutOutOptions? options = null, BgraImage? destination = null) =>
        ReplaceBackground(image, mask.ToSoftMask(), background, options, destination);

    /// <summary>Copies the colours and sets alpha to the mask (the image's own alpha is replaced).</summary>
    public static BgraImage ApplyAsAlpha(BgraImage image, SoftMask alpha, BgraImage? destination = null)
    {
        var dst = Prepare(image, alpha, destination);
        ParallelRows.For(image.Height, image.Width, (y0, y1) =>
        {
            for (int y = y0; y < y1; y++)
            {
                var s = image.Row(y);
                var d = dst.Row(y);
                var a = alpha.Row(y);
                if (!ReferenceEquals(image, dst)) s.CopyTo(d);
                for (int x = 0; x < a.Length; x++) d[x * 4 + 3] = a[x];
            }
        });
        return dst;
    }

    public static BgraImage ApplyAsAlpha(BgraImage image, Mask mask, BgraImage? destination = null) =>
        ApplyAsAlpha(image, mask.ToSoftMask(), destination);

    private static BgraImage Prepare(BgraImage image, SoftMask alpha, BgraImage? destination)
    {
        if (image is null) throw new SegArgumentException(nameof(image), "is null");
        MaskChecks.SameSize(image.Width, image.Height, alpha.Width, alpha.Height, "image", "mask");
        if (destination is null) return new BgraImage(image.Width, image.Height);
        MaskChecks.SameSize(image.Width, image.Height, destination.Width, destination.Height, "image", "destination");
        return destination;
    }

    private static BackgroundEstimate? Estimate(BgraImage image, SoftMask alpha, CutOutOptions? options) =>
        options is { Decontaminate: true } ? BackgroundEstimate.Build(image, alpha, options.Radius) : null;
}

public static class BgraImageExtensions
{
    /// <summary>Copies the pixels of <paramref name="rect"/> into a new image.</summary>
    public static BgraImage Crop(this BgraImage image, PixelRect rect)
    {
        rect.CheckInside(image.Width, image.Height, "crop");
        var r = new BgraImage(rect.Width, rect.Height);
        for (int y = 0; y < rect.Height; y++)
            image.Pixels.AsSpan((rect.Y + y) * image.Stride + rect.X * 4, rect.Width * 4).CopyTo(r.Row(y));
        return r;
    }
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Effects.MagicSelect.Internal;

/// <summary>Pixel loops of the magic-select effect. Plain span loops; each is checked against a naive version in tests.</summary>
internal static class EffectPixels
{
    /// <summary>The selection as a mask: <paramref name="selection"/> clipped to <paramref name="bounds"/>, or the bounds filled.</summary>
    public static Mask SelectionMask(int width, int height, PixelRect bounds, Mask? selection)
    {
        var m = new Mask(width, height);
        for (int y = bounds.Y; y < bounds.Bottom; y++)
        {
            var dst = m.Row(y).Slice(bounds.X, bounds.Width);
            if (selection is null) dst.Fill(Mask.On);
            else selection.Row(y).Slice(bounds.X, bounds.Width).CopyTo(dst);
        }
        return m;
    }

    /// <summary>Puts the source back wherever <paramref name="selection"/> is 0, so the effect changes nothing outside it.</summary>
    public static void KeepSourceOutside(BgraImage output, BgraImage source, Mask selection)
    {
        for (int y = 0; y < output.Height; y++)
        {
            var sel = selection.Row(y);
            var src = source.Row(y);
            var dst = output.Row(y);
            int x = 0;
            while (x < sel.Length)
            {
                // Runs of unselected pixels are copied in one go; selected runs are skipped.
                int start = x;
                if (sel[x] == 0)
                {
                    int len = sel[x..].IndexOfAnyExcept((byte)0);
                    x = len < 0 ? sel.Length : x + len;
                    src.Slice(start * 4, (x - start) * 4).CopyTo(dst.Slice(start * 4));
                }
                else
                {
                    int len = sel[x..].IndexOf((byte)0);
                    x = len < 0 ? sel.Length : x + len;
                }
            }
        }
    }

    /// <summary>The alpha as an opaque grey image: white object, black background (into <paramref name="destination"/> when given).</summary>
    public static BgraImage MaskToGrey(SoftMask alpha, BgraImage? destination = null)
    {
        if (destination is not null) MaskChecks.SameSize(alpha.Width, alpha.Height, destination.Width, destination.Height, "mask", "destination");
        var img = destination ?? new BgraImage(alpha.Width, alpha.Height);
        for (int y = 0; y < alpha.Height; y++)
        {
            var a = alpha.Row(y);
            var d = img.Row(y);
            for (int x = 0; x < a.Length; x++)
            {
                byte v = a[x];
                d[4 * x] = v;
                d[4 * x + 1] = v;
                d[4 * x + 2] = v;
                d[4 * x + 3] = 255;
            }
        }
        return img;
    }

    /// <summary>Copies <paramref name="rect"/> of <paramref name="image"/> into a BGRA buffer with the given stride (bytes).</summary>
    public static void CopyRect(BgraImage image, PixelRect rect, Span<byte> destination, int destinationStride)
    {
        int rowBytes = rect.Width * 4;
        for (int y = 0; y < rect.Height; y++)
            image.Pixels.AsSpan((rect.Y + y) * image.Stride + rect.X * 4, rowBytes).CopyTo(destination.Slice(y * destinationStride, rowBytes));
    }

    /// <summary>Stripe width of the problem overlay in pixels.</summary>
    public const int StripeWidth = 8;

    /// <summary>
    /// The source with red diagonal stripes over the selected pixels (stripe where ((x + y) / 8) is even, half
    /// strength), so a problem is visible on the canvas itself. Pixels outside the selection are the source's.
    /// </summary>
    public static BgraImage Hatch(BgraImage source, Mask selection)
    {
        var img = source.Clone();
        for (int y = 0; y < img.Height; y++)
        {
            var sel = selection.Row(y);
            var d = img.Row(y);
            for (int x = 0; x < sel.Length; x++)
            {
                if (sel[x] == 0 || ((x + y) / StripeWidth & 1) != 0) continue;
                int i = 4 * x;
                d[i] = (byte)(d[i] >> 1);
                d[i + 1] = (byte)(d[i + 1] >> 1);
                d[i + 2] = (byte)((d[i + 2] + 255 + 1) >> 1);
                d[i + 3] = 255;
            }
        }
        return img;
    }
}

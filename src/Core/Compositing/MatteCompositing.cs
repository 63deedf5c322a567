using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;

namespace SegPlugins.Core.Compositing;

/// <summary>Cut-outs and background replacement from a <see cref="Matte"/>: its foreground colours under its alpha, in one call.</summary>
public static class MatteCompositing
{
    /// <summary>The cut-out: the matte's foreground colours with its alpha (straight alpha).</summary>
    public static BgraImage CutOut(this Matte matte, BgraImage? destination = null)
    {
        if (matte is null) throw new SegArgumentException(nameof(matte), "is null");
        return Compositor.CutOut(matte.Foreground, matte.Alpha, null, destination);
    }

    /// <summary>
    /// The matte's foreground over <paramref name="background"/>: αF + (1-α)B. A <see cref="Background.Blurred"/>
    /// background is a blur of <paramref name="photo"/> (the original image), which it then needs.
    /// </summary>
    public static BgraImage ReplaceBackground(this Matte matte, Background background, BgraImage? photo = null, BgraImage? destination = null)
    {
        if (matte is null) throw new SegArgumentException(nameof(matte), "is null");
        if (background is null) throw new SegArgumentException(nameof(background), "is null; use Background.Color, Background.Image or Background.Blur");
        if (background is Background.Blurred)
        {
            if (photo is null) throw new SegArgumentException("photo", "is needed for a blurred background (the blur is of the original photo)");
            MaskChecks.SameSize(matte.Width, matte.Height, photo.Width, photo.Height, "matte", "photo");
            var behind = Compositor.ReplaceBackground(photo, new SoftMask(matte.Width, matte.Height), background);
            background = Background.Image(behind);
        }
        return Compositor.ReplaceBackground(matte.Foreground, matte.Alpha, background, null, destination);
    }
}

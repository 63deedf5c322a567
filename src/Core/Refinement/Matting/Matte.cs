using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Refinement.Matting;

/// <summary>
/// A solved matte: fractional alpha and the foreground colours behind it, so that a cut-out or a new background
/// carries no trace of the old background in hair and fur.
/// </summary>
public sealed class Matte
{
    public Matte(SoftMask alpha, BgraImage foreground)
    {
        if (alpha is null) throw new SegArgumentException(nameof(alpha), "is null");
        if (foreground is null) throw new SegArgumentException(nameof(foreground), "is null");
        MaskChecks.SameSize(alpha.Width, alpha.Height, foreground.Width, foreground.Height, "alpha", "foreground");
        Alpha = alpha;
        Foreground = foreground;
    }

    /// <summary>Alpha, 0 (background) to 255 (foreground).</summary>
    public SoftMask Alpha { get; }

    /// <summary>
    /// Foreground colours, opaque (A = 255): the image's own colours where alpha is 255, estimated colours
    /// elsewhere (where alpha is 0 they only continue the object's colours smoothly).
    /// </summary>
    public BgraImage Foreground { get; }

    public int Width => Alpha.Width;
    public int Height => Alpha.Height;
}

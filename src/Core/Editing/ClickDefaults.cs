using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>
/// The one place where the hosts that read clicks interactively (<c>segplug select</c>, <c>segplug serve</c>) build
/// their <see cref="ClickChain"/>, so that the same clicks give the same mask in each of them.
/// </summary>
public static class ClickDefaults
{
    /// <summary>The click chain of <c>segplug select</c>: every answer refined with the image's colours unless <paramref name="colors"/> is false.</summary>
    /// <param name="session">A session with <paramref name="image"/> set.</param>
    /// <param name="image">The image the session was set to.</param>
    /// <param name="saliency">The salient-object map to read the first click with (<c>--subject-guide</c>), or null.</param>
    /// <param name="colors">Refine with the image's colours (<c>--colors on</c>, the default).</param>
    public static ClickChain NewChain(ISegmentationSession session, BgraImage image, LogitMap? saliency = null, bool colors = true) =>
        new(session, saliency, null, colors ? new ColorFusion(image) : null);
}

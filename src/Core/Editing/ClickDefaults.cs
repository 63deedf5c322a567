using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Core.Editing;

/// <summary>
/// The one place where the hosts that read clicks (<c>segplug select</c>, <c>segplug serve</c>, recipes'
/// <c>SelectClicks</c>) build their <see cref="ClickChain"/>, so that the same clicks give the same mask in each of them.
/// </summary>
public static class ClickDefaults
{
    /// <summary>The click chain of <c>segplug select</c>: every answer refined with the image's colours unless <paramref name="colors"/> is false.</summary>
    /// <param name="session">A session with <paramref name="image"/> set.</param>
    /// <param name="image">The image the session was set to.</param>
    /// <param name="saliency">The salient-object map to read the first click with (<c>--subject-guide</c>), or null.</param>
    /// <param name="colors">Refine with the image's colours (<c>--colors on</c>, the default).</param>
    /// <param name="encodeCrop">Opens a session on a crop of <paramref name="image"/> sharing the model (a SAM session's
    /// <c>ForImage</c>), for the focus crop (<see cref="ClickChainOptions.Focus"/>); null answers every click on the whole image.</param>
    /// <param name="subject">The salient-object model a box alone is refined with (<see cref="ColorFusion.BoxSaliency"/>), or null to refine it without.</param>
    public static ClickChain NewChain(ISegmentationSession session, BgraImage image, LogitMap? saliency = null, bool colors = true,
        Func<BgraImage, CancellationToken, ISegmentationSession>? encodeCrop = null, SubjectSelector? subject = null) =>
        new(session, saliency, null, colors ? Fusion(image, subject) : null, null, encodeCrop is null ? null : new FocusEncoder(image, encodeCrop));

    /// <summary>
    /// The same chain with the box crop's salient-object map given as a function (a host that opens the subject model
    /// lazily, such as the recipe host): <paramref name="boxSaliency"/> is asked only for a box alone it applies to.
    /// </summary>
    public static ClickChain NewChain(ISegmentationSession session, BgraImage image, LogitMap? saliency,
        Func<PromptSet, CancellationToken, LogitMap?> boxSaliency, Func<BgraImage, CancellationToken, ISegmentationSession>? encodeCrop = null) =>
        new(session, saliency, null, new ColorFusion(image) { BoxSaliency = boxSaliency }, null, encodeCrop is null ? null : new FocusEncoder(image, encodeCrop));

    /// <summary>Colour fusion on <paramref name="image"/>, a box alone refined with <paramref name="subject"/>'s map of its crop when given.</summary>
    public static ColorFusion Fusion(BgraImage image, SubjectSelector? subject = null) => subject is null
        ? new ColorFusion(image)
        : new ColorFusion(image) { BoxSaliency = (prompts, ct) => ColorRefiner.BoxSaliency(subject, image, prompts, null, ct) };
}

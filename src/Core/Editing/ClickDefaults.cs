using SegPlugins.Core.Geometry;
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
        Chain(session, image, saliency, colors ? Fusion(image, subject) : null, encodeCrop);

    /// <summary>
    /// The same chain with the box crop's salient-object map given as a function (a host that opens the subject model
    /// lazily, such as the recipe host): <paramref name="boxSaliency"/> is asked only for a box alone it applies to.
    /// </summary>
    public static ClickChain NewChain(ISegmentationSession session, BgraImage image, LogitMap? saliency,
        Func<PromptSet, CancellationToken, LogitMap?> boxSaliency, Func<BgraImage, CancellationToken, ISegmentationSession>? encodeCrop = null) =>
        Chain(session, image, saliency, new ColorFusion(image) { BoxSaliency = boxSaliency }, encodeCrop);

    private static ClickChain Chain(ISegmentationSession session, BgraImage image, LogitMap? saliency, ColorFusion? fusion,
        Func<BgraImage, CancellationToken, ISegmentationSession>? encodeCrop) =>
        new(session, saliency, null, fusion, null, encodeCrop is null ? null : new FocusEncoder(image, encodeCrop));

    /// <summary>
    /// True when a chain reads these prompts' first click with the image's salient-object map: an including first click
    /// and no box (a drawn box already says where the object is). Hosts ask it before making the map, the chain itself
    /// before using it, so every host gives the same mask whether it made the map or not.
    /// </summary>
    public static bool GuidesFirstClick(IReadOnlyList<PointPrompt> points, BoxXyxy? box) =>
        box is null && points is [{ Positive: true }, ..];

    /// <summary>Colour fusion on <paramref name="image"/>, a box alone refined with <paramref name="subject"/>'s map of its crop when given.</summary>
    public static ColorFusion Fusion(BgraImage image, SubjectSelector? subject = null) => subject is null
        ? new ColorFusion(image)
        : new ColorFusion(image) { BoxSaliency = (prompts, ct) => ColorRefiner.BoxSaliency(subject, image, prompts, null, ct) };
}

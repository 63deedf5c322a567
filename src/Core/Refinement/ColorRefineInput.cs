using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Refinement;

/// <summary>What the user said, besides the model's answer: clicks, a box, and optionally a salient-object map.</summary>
public sealed record ColorRefineInput
{
    /// <summary>Clicks in image pixels; a disc around each keeps the click's label.</summary>
    public IReadOnlyList<PointPrompt> Clicks { get; init; } = Array.Empty<PointPrompt>();

    /// <summary>A prompt box in image pixels; nothing outside it is selected.</summary>
    public BoxXyxy? Box { get; init; }

    /// <summary>
    /// A salient-object map (0..1, image size), or null. It is used only while it agrees with the prompts: not after
    /// a positive click on a pixel below <see cref="ColorRefiner.SaliencyFloor"/> or a negative click above 0.5, and
    /// with a box only when its salient part inside the box matches the model's mask (IoU of at least
    /// <see cref="ColorRefiner.SaliencyBoxAgreement"/>).
    /// </summary>
    public LogitMap? Saliency { get; init; }
}

using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Segmentation;

/// <summary>
/// An interactive segmenter for one image at a time: one expensive <see cref="SetImage"/>, then many cheap
/// <see cref="Predict"/> calls. Implementations are safe to call <see cref="Predict"/> from several threads.
/// </summary>
public interface ISegmentationSession : IDisposable
{
    /// <summary>The model's display name (manifest id or file name).</summary>
    string ModelName { get; }

    /// <summary>Computes (or fetches from cache) the image embedding. Replaces the current image.</summary>
    void SetImage(BgraImage image, CancellationToken cancellationToken = default);

    /// <summary>True once <see cref="SetImage"/> has succeeded.</summary>
    bool HasImage { get; }

    int ImageWidth { get; }
    int ImageHeight { get; }

    /// <summary>Predicts a mask for the prompts, in source pixel coordinates.</summary>
    MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Forgets the current image.</summary>
    void Reset();
}

/// <summary>Which mask of a multi-mask decoder becomes <see cref="MaskPrediction.Mask"/>.</summary>
public enum MaskChoice
{
    /// <summary>The official single-mask export's rule: best of proposals 1-3 by score for one click or a box alone, the single-mask token otherwise.</summary>
    Auto,
    /// <summary>The single-mask token (index 0).</summary>
    SingleToken,
    /// <summary>The best-scoring of proposals 1-3.</summary>
    BestProposal,
}

public sealed record PredictOptions
{
    public MaskChoice Choice { get; init; } = MaskChoice.Auto;

    /// <summary>Logit threshold for the hard mask (SAM uses 0).</summary>
    public float Threshold { get; init; }

    public static PredictOptions Default { get; } = new();
}

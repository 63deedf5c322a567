using SegPlugins.Core.Masks;

namespace SegPlugins.Core.Segmentation;

/// <summary>One candidate mask of a prediction, at low resolution.</summary>
/// <param name="Index">Decoder output index: for multi-mask decoders 0 is the single-mask token, 1-3 the proposals.</param>
/// <param name="Score">Predicted IoU.</param>
/// <param name="LowResLogits">256x256 logits in the padded 1024x1024 model frame (SAM's low_res_masks).</param>
public sealed record MaskProposal(int Index, float Score, LogitMap LowResLogits);

/// <summary>
/// The result of <see cref="ISegmentationSession.Predict"/>: the chosen mask at source resolution, its logits,
/// its predicted IoU, the low-res logits to feed back for refinement, and every proposal the decoder offered.
/// </summary>
public sealed class MaskPrediction
{
    private readonly Func<MaskProposal, LogitMap> _upscale;
    private readonly Func<MaskProposal, Mask>? _hardMask;
    private LogitMap? _logits;

    /// <param name="mask">The chosen proposal's hard mask.</param>
    /// <param name="chosen">The chosen proposal.</param>
    /// <param name="proposals">Every proposal.</param>
    /// <param name="upscale">A proposal's logits at the source size.</param>
    /// <param name="hardMask">A proposal's hard mask at logit 0 without the float logits (equal to thresholding <paramref name="upscale"/>'s); null to threshold them.</param>
    internal MaskPrediction(Mask mask, MaskProposal chosen, IReadOnlyList<MaskProposal> proposals, Func<MaskProposal, LogitMap> upscale, Func<MaskProposal, Mask>? hardMask = null)
    {
        Mask = mask;
        Chosen = chosen;
        Proposals = proposals;
        _upscale = upscale;
        _hardMask = hardMask;
    }

    /// <summary>The hard mask at the source image's size (logit &gt; 0).</summary>
    public Mask Mask { get; }

    /// <summary>The chosen proposal.</summary>
    public MaskProposal Chosen { get; }

    /// <summary>Predicted IoU of the chosen mask.</summary>
    public float Score => Chosen.Score;

    /// <summary>256x256 logits of the chosen mask; pass as <see cref="PromptSet.MaskInput"/> to refine.</summary>
    public LogitMap LowResLogits => Chosen.LowResLogits;

    /// <summary>Every mask the decoder produced (one for single-mask decoders, four for multi-mask ones).</summary>
    public IReadOnlyList<MaskProposal> Proposals { get; }

    /// <summary>Full-resolution logits of the chosen mask, computed on first use (a 12 MP image costs 48 MB).</summary>
    public LogitMap Logits => _logits ??= _upscale(Chosen);

    /// <summary>Full-resolution logits of any proposal.</summary>
    public LogitMap UpscaleLogits(MaskProposal proposal) => _upscale(proposal);

    /// <summary>
    /// The hard mask of a proposal: <see cref="Mask"/> for the chosen one, else where its full-resolution logits are
    /// above 0 (straight from the low-res logits where the session can, without the float map).
    /// </summary>
    internal Mask MaskOf(MaskProposal proposal) =>
        proposal == Chosen ? Mask : _hardMask is { } hard ? hard(proposal) : _upscale(proposal).ToMask(0f);
}

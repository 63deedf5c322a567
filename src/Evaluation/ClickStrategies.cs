using SegPlugins.Core;
using SegPlugins.Core.Editing;
using SegPlugins.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Evaluation;

/// <summary>The built-in ways of turning a user's clicks into decoder prompts.</summary>
public enum ClickStrategyKind
{
    /// <summary>Every click so far, nothing else: each prediction starts from scratch.</summary>
    AllClicks,
    /// <summary>Every click so far plus the previous prediction's low-res logits as mask input (the default).</summary>
    FeedbackLogits,
    /// <summary>Like <see cref="FeedbackLogits"/>, but the first click takes the best-scoring of the decoder's proposals 1-3.</summary>
    FirstClickMultimask,
    /// <summary>Like <see cref="FeedbackLogits"/>, but from a given click on the model looks at a crop around the object.</summary>
    ZoomIn,
    /// <summary>
    /// SAM's own evaluation protocol: at every click the best-scoring of proposals 1-3, whose logits are fed back.
    /// </summary>
    BestProposal,
    /// <summary>
    /// Like <see cref="FeedbackLogits"/>, but the first click is read with a salient-object prior (see
    /// <see cref="SubjectGuidance"/>).
    /// </summary>
    SubjectGuided,
    /// <summary>
    /// Like <see cref="SubjectGuided"/>, and every answer is refined with the image's colours and the saliency map
    /// (<see cref="ColorRefiner"/>), the refined selection being fed back (<see cref="ColorFusion"/>): the default,
    /// as it needs the fewest clicks on GrabCut.
    /// </summary>
    Fused,
    /// <summary>
    /// Like <see cref="Fused"/> without the salient-object prior: the first click is read by the model alone, every
    /// answer is refined with colours. What <c>segplug select</c> without <c>--subject-guide</c> and <c>segplug serve</c> run.
    /// </summary>
    Colors,
    /// <summary>
    /// An upper bound, not a strategy a host can run: every click so far plus the previous answer's low-res logits, and
    /// at every click the decoder's proposal with the best IoU against the ground truth (the model's choice on a tie),
    /// whose logits are fed back. It says how far any choice among the model's own answers could go; it is greedy, so
    /// a chain of choices can still end below another chain's.
    /// </summary>
    OracleProposal,
}

/// <summary>What a strategy gets for one image: a session with the image set and a way to open views of crops.</summary>
/// <param name="Session">A session whose current image is <paramref name="Image"/>.</param>
/// <param name="Image">The full image.</param>
/// <param name="OpenView">Opens a session on another image (a crop), sharing the model; null when not available.</param>
/// <param name="Saliency">The image's salient-object map (0..1, image size), computed on first use; null when no subject model is available.</param>
/// <param name="Truth">The sample's ground truth, for <see cref="ClickStrategyKind.OracleProposal"/> only; null outside an evaluation.</param>
public sealed record ClickEpisodeContext(ISegmentationSession Session, BgraImage Image, Func<BgraImage, ISegmentationSession>? OpenView, Func<LogitMap>? Saliency = null, GroundTruth? Truth = null);

/// <summary>Decides which prompts go to the model at each click of an interactive session.</summary>
public interface IClickStrategy
{
    string Name { get; }

    /// <summary>Starts the clicks on one image.</summary>
    IClickEpisode Begin(ClickEpisodeContext context);
}

/// <summary>The clicks on one image; state (previous logits, crops) lives here.</summary>
public interface IClickEpisode : IDisposable
{
    /// <summary>Predicts the selection after the user's clicks so far (in image pixels), the newest last.</summary>
    Mask Predict(IReadOnlyList<PointPrompt> clicks, CancellationToken cancellationToken = default);

    /// <summary>How the newest answer was made, as '+'-joined words for the click trace (e.g. <c>guarded+merged</c>); empty when the strategy keeps no notes.</summary>
    string Notes => "";
}

/// <summary>Settings of <see cref="ClickStrategyKind.ZoomIn"/>. Validated on construction of the strategy.</summary>
public sealed record ZoomInOptions
{
    /// <summary>
    /// The first click predicted inside a crop. 1 zooms already on the first click (the full-image prediction
    /// then only serves to place the crop); 2 follows the interactive benchmarks' zoom-in, which skips one click.
    /// </summary>
    public int FromClick { get; init; } = 2;

    /// <summary>
    /// Crop side relative to the box around the mask and the clicks: 1.4 adds 20 % on each side, the context
    /// margin of the zoom-in of RITM (Sofiiuk et al., 2022), "expansion_ratio".
    /// </summary>
    public double Expansion { get; init; } = 1.4;

    /// <summary>Smallest crop side in pixels, so that a tiny object keeps some context.</summary>
    public int MinCropSize { get; init; } = 160;

    /// <summary>Below this gain in model resolution the full image is used instead of a crop.</summary>
    public double MinZoomGain { get; init; } = 1.15;

    /// <summary>Carry the previous prediction's logits into a new crop's frame as mask input.</summary>
    public bool CarryLogits { get; init; } = true;

    /// <summary>When the crop's mask touches a crop edge inside the image, enlarge the crop once and predict again.</summary>
    public bool GrowOnEdge { get; init; } = true;

    internal void Validate()
    {
        if (FromClick < 1) throw new SegArgumentException("zoom from click", $"must be at least 1, got {FromClick}");
        if (!(Expansion >= 1.0 && Expansion <= 4.0)) throw new SegArgumentException("zoom expansion", $"must be between 1 and 4, got {Expansion}");
        if (MinCropSize < 16) throw new SegArgumentException("zoom min crop size", $"must be at least 16 pixels, got {MinCropSize}");
        if (!(MinZoomGain >= 1.0)) throw new SegArgumentException("zoom min gain", $"must be at least 1, got {MinZoomGain}");
    }
}

public static class ClickStrategies
{
    /// <summary>Names accepted by <see cref="Parse"/>, in report order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["all-clicks", "feedback-logits", "first-click-multimask", "zoom-in", "best-proposal", "subject-guided", "fused", "colors", "oracle-proposal"];

    /// <param name="kind">Which strategy.</param>
    /// <param name="zoom">Settings of <see cref="ClickStrategyKind.ZoomIn"/>.</param>
    /// <param name="chain">Settings of the strategies that run a <see cref="ClickChain"/> (feedback-logits, subject-guided, fused); null for the defaults.</param>
    public static IClickStrategy Create(ClickStrategyKind kind, ZoomInOptions? zoom = null, ClickChainOptions? chain = null) => kind switch
    {
        ClickStrategyKind.AllClicks => new FeedbackStrategy(Names[0], feedback: false, firstMultimask: false),
        ClickStrategyKind.FeedbackLogits => new ChainStrategy(Names[1], null, fused: false, chain),
        ClickStrategyKind.FirstClickMultimask => new FeedbackStrategy(Names[2], feedback: true, firstMultimask: true),
        ClickStrategyKind.ZoomIn => new ZoomInStrategy(zoom ?? new ZoomInOptions()),
        ClickStrategyKind.BestProposal => new FeedbackStrategy(Names[4], feedback: true, firstMultimask: false, everyClickBest: true),
        ClickStrategyKind.SubjectGuided => new ChainStrategy(Names[5], (chain ?? ClickChainOptions.Default).Subject, fused: false, chain),
        ClickStrategyKind.Fused => new ChainStrategy(Names[6], (chain ?? ClickChainOptions.Default).Subject, fused: true, chain),
        ClickStrategyKind.Colors => new ChainStrategy(Names[7], null, fused: true, chain),
        ClickStrategyKind.OracleProposal => new OracleStrategy(Names[8]),
        _ => throw new SegArgumentException("strategy", $"unknown strategy {kind}"),
    };

    /// <summary>Every built-in strategy.</summary>
    public static IReadOnlyList<IClickStrategy> All(ZoomInOptions? zoom = null, ClickChainOptions? chain = null) =>
        [Create(ClickStrategyKind.AllClicks), Create(ClickStrategyKind.FeedbackLogits, null, chain), Create(ClickStrategyKind.FirstClickMultimask), Create(ClickStrategyKind.ZoomIn, zoom), Create(ClickStrategyKind.BestProposal), Create(ClickStrategyKind.SubjectGuided, null, chain), Create(ClickStrategyKind.Fused, null, chain), Create(ClickStrategyKind.Colors, null, chain), Create(ClickStrategyKind.OracleProposal)];

    /// <summary>The strategy <c>segplug eval</c> uses when none is named: the one that needs the fewest clicks.</summary>
    public const ClickStrategyKind Default = ClickStrategyKind.Fused;

    /// <summary>Parses a strategy name (see <see cref="Names"/>; case and '-'/'_' are not significant).</summary>
    public static ClickStrategyKind Parse(string name)
    {
        var key = (name ?? "").Trim().Replace("_", "-").ToLowerInvariant();
        for (int i = 0; i < Names.Count; i++)
            if (Names[i] == key || Names[i].Replace("-", "") == key.Replace("-", ""))
                return (ClickStrategyKind)i;
        throw new SegArgumentException("strategy", $"unknown strategy '{name}'; expected one of {string.Join(", ", Names)} or all");
    }

    /// <summary>The set flags of <paramref name="notes"/> in lower case, joined by '+'.</summary>
    internal static string Describe(ClickStepNotes notes)
    {
        var words = new List<string>();
        foreach (var flag in Enum.GetValues<ClickStepNotes>())
            if (flag != ClickStepNotes.None && notes.HasFlag(flag)) words.Add(flag.ToString().ToLowerInvariant());
        return string.Join("+", words);
    }

    private sealed class FeedbackStrategy(string name, bool feedback, bool firstMultimask, bool everyClickBest = false) : IClickStrategy
    {
        public string Name => name;
        public IClickEpisode Begin(ClickEpisodeContext context) => new Episode(context.Session, feedback, firstMultimask, everyClickBest);

        private sealed class Episode(ISegmentationSession session, bool feedback, bool firstMultimask, bool everyClickBest) : IClickEpisode
        {
            private static readonly PredictOptions Best = new() { Choice = MaskChoice.BestProposal };
            private LogitMap? _previous;

            public Mask Predict(IReadOnlyList<PointPrompt> clicks, CancellationToken cancellationToken)
            {
                var prompts = new PromptSet { Points = clicks.ToArray(), MaskInput = feedback ? _previous : null };
                var prediction = session.Predict(prompts, everyClickBest ? Best : null, cancellationToken);
                if (firstMultimask && clicks.Count == 1 && prediction.Proposals.Count > 1)
                {
                    // A single click is ambiguous (part, object, group); the proposals 1-3 cover those readings.
                    MaskProposal best = prediction.Proposals[1];
                    for (int i = 2; i < prediction.Proposals.Count && i <= 3; i++)
                        if (prediction.Proposals[i].Score > best.Score) best = prediction.Proposals[i];
                    if (best.Index != prediction.Chosen.Index)
                    {
                        _previous = best.LowResLogits;
                        return prediction.UpscaleLogits(best).ToMask(PredictOptions.Default.Threshold);
                    }
                }
                _previous = prediction.LowResLogits;
                return prediction.Mask;
            }

            public void Dispose() { }
        }
    }

    /// <summary>At every click the proposal closest to the ground truth (<see cref="ClickStrategyKind.OracleProposal"/>).</summary>
    private sealed class OracleStrategy(string name) : IClickStrategy
    {
        public string Name => name;

        public IClickEpisode Begin(ClickEpisodeContext context) =>
            new Episode(context.Session, context.Truth ?? throw new SegArgumentException("strategy", $"{name} needs the sample's ground truth; only an evaluation has it"));

        private sealed class Episode(ISegmentationSession session, GroundTruth truth) : IClickEpisode
        {
            private LogitMap? _previous;

            public Mask Predict(IReadOnlyList<PointPrompt> clicks, CancellationToken cancellationToken)
            {
                var prediction = session.Predict(new PromptSet { Points = clicks.ToArray(), MaskInput = _previous }, null, cancellationToken);
                var (proposal, mask) = BestProposal(prediction, truth);
                _previous = proposal.LowResLogits;
                return mask;
            }

            public void Dispose() { }
        }
    }

    /// <summary>The proposal of <paramref name="prediction"/> whose mask has the best IoU against <paramref name="truth"/>; the model's choice on a tie.</summary>
    internal static (MaskProposal Proposal, Mask Mask) BestProposal(MaskPrediction prediction, GroundTruth truth)
    {
        var best = (prediction.Chosen, prediction.Mask);
        double bestIoU = SegmentationMetrics.IoU(truth, prediction.Mask);
        foreach (var proposal in prediction.Proposals)
        {
            if (proposal.Index == prediction.Chosen.Index) continue;
            var mask = prediction.UpscaleLogits(proposal).ToMask(PredictOptions.Default.Threshold);
            double iou = SegmentationMetrics.IoU(truth, mask);
            if (iou > bestIoU) (best, bestIoU) = ((proposal, mask), iou);
        }
        return best;
    }

    /// <summary>
    /// The strategies the hosts use: a <see cref="ClickChain"/>, so the evaluation measures the same code that
    /// `segplug select` and the effect run. With <paramref name="guide"/> the first click is read with the saliency map;
    /// with <paramref name="fused"/> every answer is refined with colours.
    /// </summary>
    private sealed class ChainStrategy(string name, SubjectGuidanceOptions? guide, bool fused, ClickChainOptions? settings) : IClickStrategy
    {
        public string Name => name;

        public IClickEpisode Begin(ClickEpisodeContext context)
        {
            if (guide is not null && context.Saliency is null)
                throw new SegArgumentException("strategy", $"{name} needs the subject model (u2netp) for its saliency map; none was given");
            // The focus crop encodes crops through the runner's views (which share the model and its embedding cache).
            var focus = context.OpenView is { } open && (settings ?? ClickChainOptions.Default).Focus.Enabled
                ? new FocusEncoder(context.Image, (crop, _) => open(crop)) : null;
            return new Episode(context.Session, guide is null ? null : context.Saliency, guide, fused ? new ColorFusion(context.Image) : null, settings, focus);
        }

        private sealed class Episode(ISegmentationSession session, Func<LogitMap>? saliency, SubjectGuidanceOptions? guide, ColorFusion? fusion, ClickChainOptions? settings, FocusEncoder? focus) : IClickEpisode
        {
            private ClickChain? _chain;

            public Mask Predict(IReadOnlyList<PointPrompt> clicks, CancellationToken cancellationToken)
            {
                _chain ??= new ClickChain(session, saliency?.Invoke(), guide, fusion, settings, focus);
                return _chain.Predict(clicks, null, cancellationToken).Mask;
            }

            public string Notes => _chain is null ? "" : Describe(_chain.LastNotes);

            public void Dispose() => _chain?.Clear();
        }
    }
}

using System.Diagnostics;
using SegPlugins.Core;
using SegPlugins.Core.Editing;
using SegPlugins.Evaluation.Internal;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Evaluation;

[Flags]
public enum EvaluationMode
{
    /// <summary>One prediction per prompt box (the dataset's box and the tight box of the object).</summary>
    Box = 1,
    /// <summary>Simulated clicks, IoU after each.</summary>
    Clicks = 2,
    All = Box | Clicks,
}

/// <summary>How box prompts are given to the model.</summary>
public sealed record BoxPromptOptions
{
    /// <summary>When above 1: predict inside a crop around the box whose sides are this many times the box's (1 = off).</summary>
    public double ZoomExpansion { get; init; } = 1.0;

    /// <summary>Extra passes that feed the previous logits back together with the box.</summary>
    public int RefineSteps { get; init; }

    /// <summary>Smallest crop side in pixels when zooming.</summary>
    public int MinCropSize { get; init; } = 160;

    /// <summary>
    /// Refine the model's mask with the image's colours inside the box (<see cref="ColorRefiner"/>), as
    /// <c>segplug select --box</c> does by default. The box already says where the object is, so no saliency map.
    /// </summary>
    public bool ColorRefine { get; init; } = true;

    /// <summary>The colour-refined mask is kept only where it agrees with the model's by at least this IoU (<see cref="ClickChainOptions.BoxColorMinAgreement"/>); 0 = always.</summary>
    public double ColorMinAgreement { get; init; }

    /// <summary>Colour refinement settings (<see cref="ClickChainOptions.ColorRefine"/> of <c>--click-options</c>); null for the defaults.</summary>
    public ColorRefineOptions? ColorOptions { get; init; }

    /// <summary>
    /// An upper bound instead of the product's path: the model's proposal with the best IoU against the ground truth
    /// (no colour refinement). Says how far any choice among the model's own answers to a box could go.
    /// </summary>
    public bool ProposalOracle { get; init; }

    internal void Validate()
    {
        if (ProposalOracle && (ZoomExpansion > 1.0 || ColorRefine)) throw new SegArgumentException("box proposal oracle", "scores the model's own answers on the whole image: turn box zoom and box colour refinement off with it");
        if (!(ZoomExpansion >= 1.0 && ZoomExpansion <= 4.0)) throw new SegArgumentException("box zoom", $"must be between 1 (off) and 4, got {ZoomExpansion}");
        if (RefineSteps is < 0 or > 10) throw new SegArgumentException("box refine steps", $"must be 0..10, got {RefineSteps}");
        if (MinCropSize < 16) throw new SegArgumentException("box min crop size", $"must be at least 16, got {MinCropSize}");
    }
}

/// <summary>What to evaluate. Validated by <see cref="EvaluationRunner"/>'s constructor.</summary>
public sealed record EvaluationOptions
{
    /// <summary>The benchmarks' click budget (NoC is capped at it).</summary>
    public const int DefaultMaxClicks = 20;

    public EvaluationMode Mode { get; init; } = EvaluationMode.All;
    public IReadOnlyList<IClickStrategy> Strategies { get; init; } = [ClickStrategies.Create(ClickStrategyKind.FeedbackLogits)];
    public int MaxClicks { get; init; } = DefaultMaxClicks;

    /// <summary>Evaluate only the first N samples (null = all); counted after <see cref="Every"/>.</summary>
    public int? Limit { get; init; }

    /// <summary>Evaluate every Nth sample only (the 1st, the N+1th, ...): a fixed subset for quick screening; 1 = all.</summary>
    public int Every { get; init; } = 1;

    /// <summary>How many samples of a dataset of <paramref name="count"/> are evaluated.</summary>
    public int SampleCount(int count) => Math.Min((count + Every - 1) / Every, Limit ?? int.MaxValue);

    public BoxPromptOptions Box { get; init; } = new();

    /// <summary>
    /// A folder where image embeddings are kept between runs (one <see cref="EmbeddingFile"/> per encoder and image
    /// content), so that a second run costs decoder time only; null = encode every image. SAM sessions only.
    /// </summary>
    public string? EmbeddingCacheDirectory { get; init; }

    /// <summary>Measure every click against the selection before it (<see cref="ClickTrace"/>, <see cref="StrategyImageResult.Trace"/>).</summary>
    public bool Trace { get; init; }

    internal void Validate()
    {
        if ((Mode & EvaluationMode.All) == 0) throw new SegArgumentException("mode", "must include box, clicks or both");
        if (MaxClicks is < 1 or > 100) throw new SegArgumentException("max clicks", $"must be 1..100, got {MaxClicks}");
        if (Limit is < 1) throw new SegArgumentException("limit", $"must be at least 1, got {Limit}");
        if (Every < 1) throw new SegArgumentException("every", $"must be at least 1, got {Every}");
        if ((Mode & EvaluationMode.Clicks) != 0 && (Strategies is null || Strategies.Count == 0))
            throw new SegArgumentException("strategy", "click mode needs at least one strategy");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in Strategies!)
            if (!names.Add(s.Name)) throw new SegArgumentException("strategy", $"'{s.Name}' is listed twice");
        Box.Validate();
    }
}

/// <summary>
/// The clicks of one strategy on one image. IoUs: after click 1..MaxClicks (when no error is left to click, the last
/// IoU carries over). ClickMs: wall time of each prediction in milliseconds, crops encoded on the way included.
/// </summary>
public sealed record StrategyImageResult(string Strategy, double[] IoUs, int Noc85, int Noc90, double[] ClickMs, IReadOnlyList<SimulatedClick> Clicks)
{
    /// <summary>One row per click with <see cref="EvaluationOptions.Trace"/>; null otherwise.</summary>
    public IReadOnlyList<ClickTraceRow>? Trace { get; init; }
}

/// <summary>Everything measured on one image.</summary>
public sealed record ImageResult(string Name, int Width, int Height, double? BoxIoU, double? TightBoxIoU, double EncoderMs, IReadOnlyList<StrategyImageResult> Strategies);

public sealed record EvaluationResult(string ModelName, string Dataset, EvaluationMode Mode, int MaxClicks, IReadOnlyList<string> StrategyNames, IReadOnlyList<ImageResult> Images, double TotalSeconds);

/// <summary>Progress of a run: <c>Done</c> of <c>Total</c> images finished, the last one <c>Name</c>.</summary>
public sealed record EvaluationProgress(int Done, int Total, string Name, double ElapsedSeconds);

/// <summary>
/// Runs a dataset through a session: box prompts and simulated clicks per strategy, one image at a time in
/// dataset order, so that results do not depend on scheduling.
/// </summary>
public sealed class EvaluationRunner
{
    public const double Threshold85 = 0.85;
    public const double Threshold90 = 0.90;

    private readonly ISegmentationSession _session;
    private readonly Func<BgraImage, ISegmentationSession>? _openView;
    private readonly EvaluationOptions _options;
    private readonly Func<BgraImage, CancellationToken, LogitMap>? _saliency;
    private readonly Func<BgraImage, PromptSet, ColorRefineOptions, CancellationToken, LogitMap?>? _boxSaliency;

    /// <param name="session">The model; its current image is replaced for each sample.</param>
    /// <param name="openView">Opens a session on a crop sharing the model (zoom-in, box zoom, the focus crop); null disables zooming. With an embedding cache, crops are opened on <paramref name="session"/> through the cache instead.</param>
    /// <param name="options">What to evaluate.</param>
    /// <param name="saliency">Computes an image's salient-object map (for the subject-guided strategy); null when no subject model is loaded.</param>
    /// <param name="boxSaliency">The salient-object map of a box prompt's crop (<see cref="ColorRefiner.BoxSaliency"/>), for
    /// colour-refined boxes as the hosts make them; or null to refine boxes without it.</param>
    public EvaluationRunner(ISegmentationSession session, Func<BgraImage, ISegmentationSession>? openView, EvaluationOptions options, Func<BgraImage, CancellationToken, LogitMap>? saliency = null,
        Func<BgraImage, PromptSet, ColorRefineOptions, CancellationToken, LogitMap?>? boxSaliency = null)
    {
        _saliency = saliency;
        _boxSaliency = boxSaliency;
        _session = session ?? throw new SegArgumentException(nameof(session), "is null");
        _options = options ?? throw new SegArgumentException(nameof(options), "is null");
        options.Validate();
        if (options.Box.ZoomExpansion > 1.0 && (options.Mode & EvaluationMode.Box) != 0 && openView is null)
            throw new SegArgumentException("box zoom", "needs a way to open a session on a crop; none was given");
        if (options.EmbeddingCacheDirectory is { } dir)
        {
            if (session is not SamSession)
                throw new SegArgumentException("embedding cache", $"is for SAM-family models; {session.ModelName} keeps no image embedding");
            Directory.CreateDirectory(dir);
            // Crops (zoom-in, box zoom, the focus crop) are images too: their embeddings are kept by content alike.
            var sam = (SamSession)session;
            if (openView is not null)
                openView = img => new SamImageSession(sam, sam.Embed(img, EmbeddingFile.CachePath(dir, sam.ModelKey, SamImageEmbedding.HashImage(img))));
        }
        _openView = openView;
    }

    public EvaluationResult Run(SegmentationDataset dataset, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var total = Stopwatch.StartNew();
        int count = _options.SampleCount(dataset.Count);
        var images = new List<ImageResult>(count);
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sample = dataset.Load(i * _options.Every);
            images.Add(RunImage(sample, cancellationToken));
            progress?.Report(new EvaluationProgress(i + 1, count, sample.Name, total.Elapsed.TotalSeconds));
        }
        var names = (_options.Mode & EvaluationMode.Clicks) != 0 ? _options.Strategies.Select(s => s.Name).ToArray() : [];
        return new EvaluationResult(_session.ModelName, dataset.Directory, _options.Mode, _options.MaxClicks, names, images, total.Elapsed.TotalSeconds);
    }

    /// <summary>Evaluates one loaded sample.</summary>
    public ImageResult RunImage(DatasetSample sample, CancellationToken cancellationToken = default)
    {
        var sw = Stopwatch.StartNew();
        if (_options.EmbeddingCacheDirectory is { } dir && _session is SamSession sam)
            sam.SetImage(sample.Image, EmbeddingFile.CachePath(dir, sam.ModelKey, SamImageEmbedding.HashImage(sample.Image)), cancellationToken);
        else
            _session.SetImage(sample.Image, cancellationToken);
        double encoderMs = sw.Elapsed.TotalMilliseconds;

        double? boxIoU = null, tightIoU = null;
        if ((_options.Mode & EvaluationMode.Box) != 0)
        {
            boxIoU = SegmentationMetrics.IoU(sample.GroundTruth, PredictBox(sample.Image, sample.DatasetBox, sample.GroundTruth, cancellationToken));
            tightIoU = SegmentationMetrics.IoU(sample.GroundTruth, PredictBox(sample.Image, sample.TightBox, sample.GroundTruth, cancellationToken));
        }

        var perStrategy = new List<StrategyImageResult>();
        if ((_options.Mode & EvaluationMode.Clicks) != 0)
        {
            // One saliency map per image, computed by the first strategy that asks for it.
            LogitMap? map = null;
            Func<LogitMap>? saliency = _saliency is null ? null : () => map ??= _saliency(sample.Image, cancellationToken);
            foreach (var strategy in _options.Strategies)
                perStrategy.Add(RunClicks(sample, strategy, saliency, cancellationToken));
        }
        return new ImageResult(sample.Name, sample.Image.Width, sample.Image.Height, boxIoU, tightIoU, encoderMs, perStrategy);
    }

    private StrategyImageResult RunClicks(DatasetSample sample, IClickStrategy strategy, Func<LogitMap>? saliency, CancellationToken ct)
    {
        int max = _options.MaxClicks;
        var ious = new double[max];
        var times = new List<double>(max);
        var simulator = new ClickSimulator(sample.GroundTruth);
        var prompts = new List<PointPrompt>(max);
        Mask? prediction = null;
        var trace = _options.Trace ? new List<ClickTraceRow>(max) : null;
        double last = 0;
        using var episode = strategy.Begin(new ClickEpisodeContext(_session, sample.Image, _openView, saliency, sample.GroundTruth));
        for (int k = 0; k < max; k++)
        {
            var click = simulator.Next(prediction);
            if (click is null)
            {
                // Nothing left to correct: the selection stays as it is for the remaining clicks.
                for (; k < max; k++) ious[k] = last;
                break;
            }
            prompts.Add(click.Value.ToPrompt());
            var sw = Stopwatch.StartNew();
            var before = prediction;
            prediction = episode.Predict(prompts, ct);
            times.Add(sw.Elapsed.TotalMilliseconds);
            last = ious[k] = SegmentationMetrics.IoU(sample.GroundTruth, prediction);
            trace?.Add(ClickTrace.Measure(sample.Name, strategy.Name, k + 1, sample.GroundTruth, before, prediction, click.Value, episode.Notes));
        }
        return new StrategyImageResult(strategy.Name, ious,
            SegmentationMetrics.NumberOfClicks(ious, Threshold85, max),
            SegmentationMetrics.NumberOfClicks(ious, Threshold90, max),
            times.ToArray(), simulator.Clicks.ToArray()) { Trace = trace };
    }

    private Mask PredictBox(BgraImage image, BoxXyxy box, GroundTruth truth, CancellationToken ct)
    {
        var opts = _options.Box;
        var frame = CropFrame.Whole(image);
        ISegmentationSession session = _session;
        ISegmentationSession? view = null;
        var pixels = image;
        try
        {
            if (opts.ZoomExpansion > 1.0)
            {
                var crop = CropFrame.Around((int)box.X0, (int)box.Y0, (int)box.X1, (int)box.Y1, opts.ZoomExpansion, opts.MinCropSize, image.Width, image.Height);
                if (crop != frame)
                {
                    frame = crop;
                    pixels = crop.Cut(image);
                    view = _openView!(pixels);
                    if (!view.HasImage) view.SetImage(pixels, ct);
                    session = view;
                }
            }
            var local = new BoxXyxy(box.X0 - frame.X0, box.Y0 - frame.Y0, box.X1 - frame.X0, box.Y1 - frame.Y0);
            var prompts = PromptSet.FromBox(local);
            var prediction = session.Predict(prompts, null, ct);
            for (int i = 0; i < opts.RefineSteps; i++)
            {
                prompts = new PromptSet { Box = local, MaskInput = prediction.LowResLogits };
                prediction = session.Predict(prompts, null, ct);
            }
            var mask = opts.ProposalOracle ? ClickStrategies.BestProposal(prediction, truth).Mask : prediction.Mask;
            if (opts.ColorRefine)
            {
                var colorOptions = opts.ColorOptions ?? ColorRefineOptions.Default;
                var prior = ColorRefiner.PriorFor(prediction, prompts, colorOptions);
                var map = _boxSaliency?.Invoke(pixels, prompts, colorOptions, ct);
                var refined = ColorRefiner.Refine(pixels, prediction.UpscaleLogits(prior), new ColorRefineInput { Box = local, Saliency = map }, colorOptions, ct);
                // As ClickChain does for a box alone: where the colours moved far from the model's answer, that answer stands.
                mask = opts.ColorMinAgreement > 0 && refined.IoU(prediction.Mask) < opts.ColorMinAgreement ? prediction.Mask : refined;
            }
            return frame == CropFrame.Whole(image) ? mask : frame.PasteInto(mask, image.Width, image.Height);
        }
        finally
        {
            view?.Dispose();
        }
    }
}

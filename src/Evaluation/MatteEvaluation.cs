using SegPlugins.Core;
using System.Diagnostics;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Evaluation;

/// <summary>Where the trimap of a matte evaluation comes from.</summary>
public enum MattePrompt
{
    /// <summary>The dataset's own trimap: the matte solver alone.</summary>
    Trimap,
    /// <summary>The whole path from a box: the model's selection refined with colours, a trimap made from it, then the solver.</summary>
    Box,
}

/// <summary>What a matte evaluation runs.</summary>
public sealed record MatteEvaluationOptions
{
    public MattePrompt Prompt { get; init; } = MattePrompt.Trimap;
    public int? Limit { get; init; }
    public MatteOptions Matte { get; init; } = MatteOptions.Default;
    public SelectionTrimapOptions Trimap { get; init; } = SelectionTrimapOptions.Default;
    public BoxRegionPriorOptions RegionPrior { get; init; } = BoxRegionPriorOptions.Default;
}

/// <summary>
/// The errors on one image (alpha on 0..1; SAD, gradient and connectivity / 1000). SadUnknown: SAD inside the dataset
/// trimap's unknown band (null without a trimap). SelectionSad: SAD of the hard selection as alpha (box prompt only), the
/// "before". Ms: the matte path's wall time without the image encoder (box: prediction, colour refinement, trimap, solve).
/// </summary>
public sealed record MatteImageResult(string Name, int Width, int Height, double Sad, double Mse, double Gradient, double Connectivity,
    double? SadUnknown, double? SelectionSad, long UnknownPixels, double Ms, double EncoderMs);

/// <summary>Runs matte evaluations one image at a time, in dataset order.</summary>
public sealed class MatteEvaluationRunner
{
    private readonly ISegmentationSession? _session;
    private readonly SubjectSelector? _subject;
    private readonly MatteEvaluationOptions _options;

    /// <param name="session">The model for <see cref="MattePrompt.Box"/>; may be null for <see cref="MattePrompt.Trimap"/>.</param>
    /// <param name="options">What to run.</param>
    /// <param name="subject">The salient-object model whose map of the box limits the region (<see cref="BoxRegionPrior"/>), as the
    /// hosts do when they have it; null mattes the box's selection as it is.</param>
    public MatteEvaluationRunner(ISegmentationSession? session, MatteEvaluationOptions options, SubjectSelector? subject = null)
    {
        _subject = subject;
        _options = options ?? throw new SegArgumentException(nameof(options), "is null");
        if (options.Limit is < 1) throw new SegArgumentException("limit", $"must be at least 1, got {options.Limit}");
        if (options.Prompt == MattePrompt.Box && session is null) throw new SegArgumentException("session", "box prompts need a model session");
        _session = session;
    }

    public IReadOnlyList<MatteImageResult> Run(MattingDataset dataset, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_options.Prompt == MattePrompt.Trimap && !dataset.HasTrimaps)
            throw new SegInputException(Path.Combine(dataset.Directory, "trimaps"), "the trimap prompt needs trimaps/NAME.png for every image");
        var total = Stopwatch.StartNew();
        int count = Math.Min(dataset.Count, _options.Limit ?? int.MaxValue);
        var results = new List<MatteImageResult>(count);
        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sample = dataset.Load(i);
            results.Add(RunImage(sample, cancellationToken));
            progress?.Report(new EvaluationProgress(i + 1, count, sample.Name, total.Elapsed.TotalSeconds));
        }
        return results;
    }

    public MatteImageResult RunImage(MattingSample sample, CancellationToken ct = default)
    {
        var image = sample.Image;
        double encoderMs = 0, ms;
        Matte matte;
        Trimap trimap;
        double? selectionSad = null;
        if (_options.Prompt == MattePrompt.Trimap)
        {
            trimap = sample.Trimap!;
            var sw = Stopwatch.StartNew();
            matte = MatteSolver.Solve(image, trimap, _options.Matte, ct);
            ms = sw.Elapsed.TotalMilliseconds;
        }
        else
        {
            var sw = Stopwatch.StartNew();
            _session!.SetImage(image, ct);
            encoderMs = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            Mask selection;
            (matte, trimap, selection) = MatteFromBox(_session, image, sample.Box, _options.Matte, _options.Trimap, ct, _subject, _options.RegionPrior);
            ms = sw.Elapsed.TotalMilliseconds;
            selectionSad = MatteMetrics.Sad(SoftMask.FromMask(selection).ToFloats(), sample.Alpha);
        }
        var pred = matte.Alpha.ToFloats();
        int w = image.Width, h = image.Height;
        double? sadUnknown = null;
        if (sample.Trimap is { } bench)
        {
            var region = new bool[pred.Length];
            for (int i = 0; i < region.Length; i++) region[i] = bench.Data[i] == SegPlugins.Core.Refinement.Matting.Trimap.Unknown;
            sadUnknown = MatteMetrics.Sad(pred, sample.Alpha, region);
        }
        return new MatteImageResult(sample.Name, w, h,
            MatteMetrics.Sad(pred, sample.Alpha), MatteMetrics.Mse(pred, sample.Alpha),
            MatteMetrics.Gradient(pred, sample.Alpha, w, h), MatteMetrics.Connectivity(pred, sample.Alpha, w, h),
            sadUnknown, selectionSad, trimap.UnknownCount(), ms, encoderMs);
    }

    /// <summary>
    /// The user's path from a box, on a session that already holds the image: the model's whole-object proposal refined
    /// with colours (as <c>segplug select --box</c>), limited to the box's salient object when <paramref name="subject"/> is given
    /// (<see cref="SelectionMatting.FromBox"/>), a trimap from that region (its colour rule guarded by the same map), the matte. Selection: the hard, refined selection (the "before").
    /// </summary>
    public static (Matte Matte, Trimap Trimap, Mask Selection) MatteFromBox(ISegmentationSession session, BgraImage image, BoxXyxy box,
        MatteOptions? matteOptions, SelectionTrimapOptions? trimapOptions, CancellationToken ct, SubjectSelector? subject = null,
        BoxRegionPriorOptions? priorOptions = null)
    {
        var prompts = PromptSet.FromBox(box);
        var prediction = session.Predict(prompts, null, ct);
        var logits = prediction.UpscaleLogits(ColorRefiner.PriorFor(prediction, prompts));
        // The box crop's map refines the selection too, as in every host's box path (ColorRefineOptions.BoxSaliency).
        var map = subject is null ? null : ColorRefiner.BoxSaliency(subject, image, prompts, null, ct);
        var selection = ColorRefiner.Refine(image, logits, new ColorRefineInput { Box = box, Saliency = map }, null, ct);
        var (trimap, _) = SelectionMatting.BoxTrimap(image, logits, selection, box, subject, trimapOptions, priorOptions, ct);
        return (MatteSolver.Solve(image, trimap, matteOptions, ct), trimap, selection);
    }
}

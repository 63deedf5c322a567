using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Clip;
using SegPlugins.Core.Segmentation.FastSam.Internal;

namespace SegPlugins.Core.Segmentation.FastSam;

/// <summary>
/// Segmentation with FastSAM: <c>SetImage</c> runs the detector once and decodes every object mask; prompts
/// then only choose among those masks, as FastSAM defines it. A box picks the mask with the highest IoU
/// against the box. Points walk the masks from largest to smallest: a mask under a positive point is added, a
/// mask under a negative point is removed. With a box and points, the box's mask comes first and the points
/// edit it. Text prompts (<see cref="PredictText(ClipModel, string, CancellationToken)"/>) score each mask's
/// crop with CLIP. <see cref="Everything"/> returns all masks.
/// </summary>
public sealed class FastSamSession : ISegmentationSession
{
    private readonly FastSamModel _model;
    private volatile State? _current;

    private sealed record State(BgraImage Image, FastSamResult Result);

    private FastSamSession(FastSamModel model, FastSamOptions options, string name)
    {
        _model = model;
        Options = options;
        ModelName = name;
        InputSize = options.InputSize ?? model.MetadataInputSize ?? 1024;
    }

    public string ModelName { get; }
    public FastSamOptions Options { get; }

    /// <summary>Side of the square detector input in use.</summary>
    public int InputSize { get; }

    public ExecutionDevice Device => _model.Device;

    public static FastSamSession Open(string path, EngineOptions? engine = null, FastSamOptions? options = null, string? modelName = null)
    {
        options ??= FastSamOptions.Default;
        string name = modelName ?? Path.GetFileNameWithoutExtension(path);
        var model = FastSamModel.Open(path, name, engine ?? EngineOptions.Default);
        if (options.InputSize is { } s && model.MetadataInputSize is { } m && s != m)
        {
            model.Dispose();
            throw new SegArgumentException("input size", $"{s} differs from the {m}x{m} input the model {name} was exported with");
        }
        return new FastSamSession(model, options, name);
    }

    /// <summary>Opens a FastSAM model of the manifest (user-supplied files placed in the model cache).</summary>
    public static async Task<FastSamSession> OpenAsync(string modelId, EngineOptions? engine = null, FastSamOptions? options = null, CancellationToken cancellationToken = default)
    {
        var store = ModelStore.CreateDefault();
        var entry = store.Manifest.Get(modelId);
        if (entry.Family != ModelFamily.FastSam)
            throw new SegModelException(modelId, $"is a {entry.Family} model; a FastSAM model is needed here");
        var files = await store.EnsureAsync(modelId, null, cancellationToken).ConfigureAwait(false);
        return Open(files.PathOf(ModelRole.Detector), engine, options, modelId);
    }

    public bool HasImage => _current is not null;
    public int ImageWidth => _current?.Result.Width ?? 0;
    public int ImageHeight => _current?.Result.Height ?? 0;

    /// <summary>All objects of the current image.</summary>
    public FastSamResult Everything => (_current ?? throw NoImage()).Result;

    public void SetImage(BgraImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        _current = new State(image, Detect(image, cancellationToken));
    }

    /// <summary>Runs the detector on an image and decodes every mask (does not change the current image).</summary>
    public FastSamResult Detect(BgraImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var lb = Letterbox.For(image.Width, image.Height, InputSize);
        var input = lb.ToTensor(image);
        cancellationToken.ThrowIfCancellationRequested();
        var o = _model.Run(input, InputSize, cancellationToken);
        return Decode(_model, o, lb, Options, cancellationToken);
    }

    internal static FastSamResult Decode(FastSamModel model, FastSamModel.Outputs o, Letterbox lb, FastSamOptions options, CancellationToken ct = default)
    {
        var (nc, nm, anchors) = model.CheckLayout(o.HeadShape, o.ProtoShape);
        int ph = (int)o.ProtoShape[2], pw = (int)o.ProtoShape[3];
        return Decode(o.Head, anchors, nc, nm, o.Protos, pw, ph, lb, options, ct);
    }

    /// <summary>Decodes raw head [4+nc+nm, A] and prototypes [nm, ph, pw] for a letterbox (no model needed).</summary>
    internal static FastSamResult Decode(float[] head, int anchors, int classes, int maskDim, float[] protos, int protoW, int protoH,
        Letterbox lb, FastSamOptions options, CancellationToken ct = default)
    {
        var kept = FastSamDecode.Nms(FastSamDecode.Candidates(head, anchors, classes, options.ConfidenceThreshold), options.IouThreshold, options.MaxDetections);
        var dets = new FastSamDetection[kept.Count];
        float sx = (float)protoW / lb.Size, sy = (float)protoH / lb.Size;
        Parallel.For(0, kept.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            var c = kept[i];
            var coef = new float[maskDim];
            for (int k = 0; k < maskDim; k++) coef[k] = head[(4 + classes + k) * anchors + c.Anchor];
            var proto = new float[protoW * protoH];
            var cells = FastSamDecode.ProtoMask(coef, protos, protoW, protoH, sx, sy, c, proto);
            var frame = FastSamDecode.InputFrame(proto, protoW, protoH, lb, cells);
            var mask = new Mask(lb.SourceWidth, lb.SourceHeight,
                LogitUpscaler.Mask(frame, lb.NewWidth, lb.NewHeight, lb.SourceWidth, lb.SourceHeight, options.MaskThreshold));
            var box = new BoxXyxy(lb.ToSourceX(c.X0), lb.ToSourceY(c.Y0), lb.ToSourceX(c.X1), lb.ToSourceY(c.Y1));
            dets[i] = new FastSamDetection(c.Anchor, c.Score, new BoxXyxy(c.X0, c.Y0, c.X1, c.Y1), box, mask, proto);
        });
        return new FastSamResult(lb, protoW, protoH, dets);
    }

    /// <summary>Mask probabilities of a detection at the source size (before the threshold).</summary>
    public static LogitMap Probabilities(FastSamResult result, FastSamDetection detection)
    {
        var lb = result.Letterbox;
        var frame = FastSamDecode.InputFrame(detection.ProtoMask, result.ProtoWidth, result.ProtoHeight, lb);
        return new LogitMap(lb.SourceWidth, lb.SourceHeight, LogitUpscaler.Logits(frame, lb.NewWidth, lb.NewHeight, lb.SourceWidth, lb.SourceHeight));
    }

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var s = _current ?? throw NoImage();
        prompts.Validate(s.Result.Width, s.Result.Height);
        if (prompts.MaskInput is not null)
            throw new SegArgumentException("mask input", $"{ModelName} is a FastSAM model; it chooses among detected masks and cannot refine a previous mask (use a SAM model for refinement)");
        var (mask, score) = FastSamPrompts.Select(s.Result, prompts);
        return ToPrediction(mask, score);
    }

    /// <summary>The mask whose crop CLIP finds closest to <paramref name="text"/> (FastSAM's text prompt).</summary>
    public MaskPrediction PredictText(ClipModel clip, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clip);
        return PredictText(clip, clip.EmbedText(text), cancellationToken);
    }

    /// <summary>As <see cref="PredictText(ClipModel, string, CancellationToken)"/> with a precomputed text embedding.</summary>
    public MaskPrediction PredictText(ClipModel clip, float[] textEmbedding, CancellationToken cancellationToken = default)
    {
        var s = _current ?? throw NoImage();
        var scores = ScoreText(clip, textEmbedding, cancellationToken);
        int best = -1;
        for (int i = 0; i < scores.Length; i++)
            if (!float.IsNaN(scores[i]) && (best < 0 || scores[i] > scores[best])) best = i;
        if (best < 0)
            return ToPrediction(new Mask(s.Result.Width, s.Result.Height), 0f);
        return ToPrediction(s.Result.Detections[best].Mask.Clone(), scores[best]);
    }

    /// <summary>Cosine similarity of each detection's crop with the text embedding; NaN for masks too small to score.</summary>
    public float[] ScoreText(ClipModel clip, float[] textEmbedding, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(textEmbedding);
        var s = _current ?? throw NoImage();
        var dets = s.Result.Detections;
        var scores = new float[dets.Count];
        for (int i = 0; i < dets.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (dets[i].Area <= Options.TextMinArea) { scores[i] = float.NaN; continue; }
            var crop = ClipCrops.MaskOnWhite(s.Image, dets[i].Mask);
            scores[i] = ClipModel.Cosine(clip.EmbedImage(crop, cancellationToken), textEmbedding);
        }
        return scores;
    }

    /// <summary>
    /// Wraps a chosen mask as a prediction. Its low-res logits are the mask resampled into SAM's 256x256 frame
    /// (+10 inside, -10 outside) so that a SAM session can refine a FastSAM selection.
    /// </summary>
    internal static MaskPrediction ToPrediction(Mask mask, float score)
    {
        var t = SamTransform.For(mask.Width, mask.Height);
        var low = new float[256 * 256];
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                // Cell centre in the 1024 frame, back to source pixels.
                float fx = (4 * x + 2) * (float)mask.Width / t.ResizedWidth, fy = (4 * y + 2) * (float)mask.Height / t.ResizedHeight;
                bool on = fx < mask.Width && fy < mask.Height && mask[(int)fx, (int)fy];
                low[y * 256 + x] = on ? 10f : -10f;
            }
        var proposal = new MaskProposal(0, score, new LogitMap(256, 256, low));
        return new MaskPrediction(mask, proposal, [proposal], _ =>
        {
            var l = new float[mask.Data.Length];
            for (int i = 0; i < l.Length; i++) l[i] = mask.Data[i] != 0 ? 10f : -10f;
            return new LogitMap(mask.Width, mask.Height, l);
        });
    }

    private static SegArgumentException NoImage() => new("image", "no image set; call SetImage before Predict");

    public void Reset() => _current = null;

    public void Dispose()
    {
        _current = null;
        _model.Dispose();
    }
}

using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;
using N = SegPlugins.Core.Segmentation.Sam.SamTensorNames;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// Interactive segmentation with a SAM-family model (SAM ViT-B/L/H, MobileSAM): <c>SetImage</c> runs the
/// image encoder once (or finds the embedding in the cache), then each <c>Predict</c> runs only the small
/// prompt decoder. <c>Predict</c> is thread-safe; for several images at once use <see cref="ForImage"/>.
/// </summary>
public sealed class SamSession : ISegmentationSession
{
    private readonly SamEncoder _encoder;
    private readonly SamDecoder _decoder;
    private readonly EmbeddingCache _cache;
    private volatile SamImageEmbedding? _current;

    private SamSession(SamEncoder encoder, SamDecoder decoder, string modelName, string modelKey, EngineOptions options)
    {
        _encoder = encoder;
        _decoder = decoder;
        ModelName = modelName;
        ModelKey = modelKey;
        Options = options;
        _cache = new EmbeddingCache(options.EmbeddingCacheBytes);
    }

    public string ModelName { get; }

    /// <summary>Identifies the encoder in cache keys and embedding files.</summary>
    public string ModelKey { get; }

    public EngineOptions Options { get; }

    /// <summary>Where the encoder runs after provider probing.</summary>
    public ExecutionDevice Device => _encoder.Device;

    /// <summary>1 or 4; null until the first prediction when the decoder's metadata leaves it open.</summary>
    public int? DecoderMaskCount => _decoder.MaskCount;

    internal SamEncoder.InputLayout EncoderLayout => _encoder.Layout;
    internal SamEncoder Encoder => _encoder;
    internal SamDecoder Decoder => _decoder;
    internal EmbeddingCache Cache => _cache;

    /// <summary>Opens user-supplied encoder and decoder files.</summary>
    public static SamSession Open(string encoderPath, string decoderPath, EngineOptions? options = null, string? modelName = null)
    {
        options ??= EngineOptions.Default;
        string name = modelName ?? Path.GetFileNameWithoutExtension(encoderPath);
        var info = new FileInfo(encoderPath);
        // User files are identified by path, size and time; managed models by their pinned hash (see OpenAsync).
        string key = info.Exists ? $"file:{info.FullName}:{info.Length}:{info.LastWriteTimeUtc.Ticks}" : encoderPath;
        return Open(encoderPath, decoderPath, options, name, key);
    }

    internal static SamSession Open(string encoderPath, string decoderPath, EngineOptions options, string name, string key, MultimaskTaps? taps = null,
        string? encoderSha256 = null, string? cacheDirectory = null, string? decoderSha256 = null)
    {
        if (options.Precision == ModelPrecision.Int8)
        {
            // The int8 encoder is derived data: made once from the float32 file, verified by its own hash on every load.
            var int8 = new QuantizedModelCache(cacheDirectory ?? ModelStore.DefaultCacheDirectory())
                .Ensure(encoderPath, name + " encoder", encoderSha256, options.Notice);
            encoderPath = int8.Path;
            key = "int8:" + int8.Record.Sha256;
        }
        if (options.DecoderPrecision == ModelPrecision.Int8)
        {
            // The embedding (and its key) is the encoder's; the decoder's precision changes only what a click answers.
            decoderPath = new QuantizedModelCache(cacheDirectory ?? ModelStore.DefaultCacheDirectory())
                .Ensure(decoderPath, name + " decoder", decoderSha256, options.Notice).Path;
        }
        // The two sessions are opened at once (each is mostly one thread of ONNX Runtime's graph loading; a one-shot
        // select at 1 MP then has both models in the time of the larger). Errors keep their order: a bad encoder is
        // reported before a bad decoder, as when they were opened one after the other.
        _ = OnnxModelLoader.AvailableProviders; // creates ONNX Runtime's process environment once, before two threads need it
        var opening = Task.Run(() => SamDecoder.Open(decoderPath, name + " decoder", options, taps));
        SamEncoder encoder;
        try
        {
            encoder = SamEncoder.Open(encoderPath, name + " encoder", options);
        }
        catch
        {
            DisposeWhenDone(opening);
            throw;
        }
        try
        {
            var decoder = opening.GetAwaiter().GetResult();
            return new SamSession(encoder, decoder, name, key, options);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Waits for a session being opened and disposes it; its own error gives way to the one being reported.</summary>
    private static void DisposeWhenDone<T>(Task<T> opening) where T : IDisposable
    {
        try { opening.GetAwaiter().GetResult().Dispose(); }
        catch (Exception) { /* whatever went wrong there, the caller is already reporting an earlier error */ }
    }

    /// <summary>Opens a model of the manifest by id, fetching and verifying it first if it is not in the cache.</summary>
    public static async Task<SamSession> OpenAsync(string modelId = ModelIds.Default, EngineOptions? options = null, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var store = ModelStore.CreateDefault();
        var files = await store.EnsureAsync(modelId, progress, cancellationToken).ConfigureAwait(false);
        if (files.Entry.Family != ModelFamily.Sam)
            throw new SegModelException(modelId, $"is a {files.Entry.Family} model; a SAM-family model (encoder + decoder) is needed here");
        return Open(files.PathOf(ModelRole.Encoder), files.PathOf(ModelRole.Decoder), options ?? EngineOptions.Default, modelId,
            "manifest:" + files.Entry.File(ModelRole.Encoder).Sha256, files.Entry.File(ModelRole.Decoder).Multimask,
            files.Entry.File(ModelRole.Encoder).Sha256, store.CacheDirectory, files.Entry.File(ModelRole.Decoder).Sha256);
    }

    public bool HasImage => _current is not null;
    public int ImageWidth => _current?.Transform.SourceWidth ?? 0;
    public int ImageHeight => _current?.Transform.SourceHeight ?? 0;

    /// <summary>The current image's embedding, or null.</summary>
    public SamImageEmbedding? CurrentEmbedding => _current;

    public void SetImage(BgraImage image, CancellationToken cancellationToken = default) =>
        _current = Embed(image, null, cancellationToken);

    /// <summary>Sets the image, reading its embedding from (or writing it to) <paramref name="sidecarPath"/>.</summary>
    public void SetImage(BgraImage image, string? sidecarPath, CancellationToken cancellationToken = default) =>
        _current = Embed(image, sidecarPath, cancellationToken);

    /// <summary>Sets a precomputed embedding (from <see cref="Embed"/>) as the current image.</summary>
    public void SetEmbedding(SamImageEmbedding embedding)
    {
        if (embedding.ModelKey != ModelKey)
            throw new SegArgumentException("embedding", $"was computed by another encoder ({embedding.ModelKey}); this session uses {ModelKey}");
        _current = embedding;
    }

    /// <summary>
    /// The image's embedding: from the in-memory cache, else from the sidecar file, else from an encoder run
    /// (then stored in both).
    /// </summary>
    public SamImageEmbedding Embed(BgraImage image, string? sidecarPath = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var hash = SamImageEmbedding.HashImage(image);
        if (_cache.TryGet(ModelKey, hash) is { } cached) return cached;
        if (sidecarPath is not null && EmbeddingFile.TryLoad(sidecarPath, ModelKey, hash) is { } stored)
        {
            _cache.Add(stored);
            return stored;
        }
        var t = SamTransform.For(image.Width, image.Height);
        var data = _encoder.Encode(image, t, cancellationToken);
        var e = new SamImageEmbedding(ModelKey, hash, t, data);
        _cache.Add(e);
        if (sidecarPath is not null) EmbeddingFile.Save(e, sidecarPath);
        return e;
    }

    /// <summary>A session view over another image that shares this session's models and cache.</summary>
    public ISegmentationSession ForImage(BgraImage image, CancellationToken cancellationToken = default)
    {
        var view = new SamImageSession(this);
        view.SetImage(image, cancellationToken);
        return view;
    }

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        var e = _current ?? throw new SegArgumentException("image", "no image set; call SetImage before Predict");
        return Predict(e, prompts, options, cancellationToken);
    }

    /// <summary>Predicts on a given embedding (thread-safe; no session state is read or written).</summary>
    public MaskPrediction Predict(SamImageEmbedding embedding, PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= PredictOptions.Default;
        var t = embedding.Transform;
        prompts.Validate(t.SourceWidth, t.SourceHeight);
        BuildPromptTensors(prompts, t, out var coords, out var labels);
        var r = _decoder.Run(embedding.Data, coords, labels, prompts.MaskInput?.Data, t.SourceWidth, t.SourceHeight, inGraphUpscale: false, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        var proposals = new MaskProposal[r.Scores.Length];
        for (int i = 0; i < proposals.Length; i++)
            proposals[i] = new MaskProposal(i, r.Scores[i], new LogitMap(256, 256, r.LowRes[i]));
        var chosen = proposals[ChooseIndex(r.Scores, labels.Length, options.Choice)];
        var mask = new Mask(t.SourceWidth, t.SourceHeight,
            LogitUpscaler.MaskFromLowRes(chosen.LowResLogits.Data, t.ResizedWidth, t.ResizedHeight, t.SourceWidth, t.SourceHeight, options.Threshold));
        return new MaskPrediction(mask, chosen, proposals, p => UpscaleLogits(p, t),
            p => new Mask(t.SourceWidth, t.SourceHeight, LogitUpscaler.MaskFromLowRes(p.LowResLogits.Data, t.ResizedWidth, t.ResizedHeight, t.SourceWidth, t.SourceHeight, 0f)));
    }

    internal static LogitMap UpscaleLogits(MaskProposal p, SamTransform t)
    {
        var frame = LogitUpscaler.ModelFrame(p.LowResLogits.Data, t.ResizedWidth, t.ResizedHeight);
        return new LogitMap(t.SourceWidth, t.SourceHeight, LogitUpscaler.Logits(frame, t.ResizedWidth, t.ResizedHeight, t.SourceWidth, t.SourceHeight));
    }

    /// <summary>
    /// Points in the 1024 frame with their labels, as the reference predictor builds them: user points, then the
    /// box as two corner points (labels 2, 3), or, without a box, a padding point (0,0) with label -1.
    /// </summary>
    internal static void BuildPromptTensors(PromptSet prompts, SamTransform t, out float[] coords, out float[] labels)
    {
        int n = prompts.Points.Count + (prompts.Box is null ? 1 : 2);
        coords = new float[n * 2];
        labels = new float[n];
        int i = 0;
        foreach (var p in prompts.Points)
        {
            coords[2 * i] = t.MapX(p.X);
            coords[2 * i + 1] = t.MapY(p.Y);
            labels[i++] = p.Positive ? N.LabelPositive : N.LabelNegative;
        }
        if (prompts.Box is { } b)
        {
            coords[2 * i] = t.MapX(b.X0); coords[2 * i + 1] = t.MapY(b.Y0); labels[i++] = N.LabelBoxTopLeft;
            coords[2 * i] = t.MapX(b.X1); coords[2 * i + 1] = t.MapY(b.Y1); labels[i++] = N.LabelBoxBottomRight;
        }
        else
        {
            coords[2 * i] = 0; coords[2 * i + 1] = 0; labels[i++] = N.LabelPadding;
        }
    }

    /// <summary>
    /// Which of K masks to return. <see cref="MaskChoice.Auto"/> follows the official single-mask export: with at
    /// most two decoder points (one click plus padding, or a box alone) the best of proposals 1-3, else the
    /// single-mask token. First index wins ties, as argmax does.
    /// </summary>
    internal static int ChooseIndex(float[] scores, int decoderPoints, MaskChoice choice)
    {
        if (scores.Length == 1) return 0;
        bool best = choice switch
        {
            MaskChoice.SingleToken => false,
            MaskChoice.BestProposal => true,
            _ => decoderPoints <= 2,
        };
        if (!best) return 0;
        int arg = 1;
        for (int i = 2; i < scores.Length; i++) if (scores[i] > scores[arg]) arg = i;
        return arg;
    }

    public void Reset() => _current = null;

    public void Dispose()
    {
        _current = null;
        _cache.Clear();
        _encoder.Dispose();
        _decoder.Dispose();
    }
}

/// <summary>A view of a <see cref="SamSession"/> on its own image; shares the models and cache, owns nothing.</summary>
internal sealed class SamImageSession : ISegmentationSession
{
    private readonly SamSession _owner;
    private volatile SamImageEmbedding? _current;

    public SamImageSession(SamSession owner) => _owner = owner;

    /// <summary>A view fixed on an embedding computed earlier.</summary>
    public SamImageSession(SamSession owner, SamImageEmbedding embedding) : this(owner) => _current = embedding;

    public string ModelName => _owner.ModelName;
    public bool HasImage => _current is not null;
    public int ImageWidth => _current?.Transform.SourceWidth ?? 0;
    public int ImageHeight => _current?.Transform.SourceHeight ?? 0;

    public void SetImage(BgraImage image, CancellationToken cancellationToken = default) => _current = _owner.Embed(image, null, cancellationToken);

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        var e = _current ?? throw new SegArgumentException("image", "no image set; call SetImage before Predict");
        return _owner.Predict(e, prompts, options, cancellationToken);
    }

    public void Reset() => _current = null;

    public void Dispose() => _current = null;
}

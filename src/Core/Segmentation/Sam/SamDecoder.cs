using Microsoft.ML.OnnxRuntime;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Internal;
using N = SegPlugins.Core.Segmentation.Sam.SamTensorNames;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// SAM's prompt decoder in the official ONNX export format. Single-mask exports return one mask; multi-mask exports
/// return four (index 0 the single-mask token, 1-3 the proposals). Which kind a file is comes from its metadata,
/// or from the first run when the mask dimension is symbolic.
/// </summary>
internal sealed class SamDecoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly bool _hasOrigImSize;
    private readonly bool _hasMasksOutput;
    private static readonly string[] LowResOutputs = [N.IouPredictions, N.LowResMasks];
    private static readonly string[] AllOutputs = [N.Masks, N.IouPredictions, N.LowResMasks];
    private readonly string[] _inputNames;
    private readonly string[]? _tapOutputs;
    private readonly RunGate _gate;
    private readonly MultimaskTaps? _taps;
    private readonly object _batchLock = new();
    private EngineOptions _options = EngineOptions.Default;
    private SamBatchDecoder? _batch;
    private bool _batchChecked;
    private int _maskCount; // 0 until known; an int so that threads never see a torn Nullable<int>

    private SamDecoder(InferenceSession session, string modelName, bool hasOrigImSize, bool hasMasks, int? maskCount, ExecutionDevice device, MultimaskTaps? taps)
    {
        _tapOutputs = taps is null ? null : [taps.Scores, taps.Masks];
        _taps = taps;
        UsesMultimaskTaps = taps is not null;
        _session = session;
        ModelName = modelName;
        _hasOrigImSize = hasOrigImSize;
        _hasMasksOutput = hasMasks;
        _maskCount = maskCount ?? 0;
        Device = device;
        _gate = new RunGate(modelName);
        _inputNames = hasOrigImSize
            ? [N.ImageEmbeddings, N.PointCoords, N.PointLabels, N.MaskInput, N.HasMaskInput, N.OrigImSize]
            : [N.ImageEmbeddings, N.PointCoords, N.PointLabels, N.MaskInput, N.HasMaskInput];
    }

    public string ModelName { get; }
    public ExecutionDevice Device { get; }
    public string Path { get; private init; } = "";

    /// <summary>1 or 4 when known from metadata; null until the first run when the dimension is symbolic.</summary>
    public int? MaskCount => Volatile.Read(ref _maskCount) is int k and > 0 ? k : null;

    public bool CanUpscaleInGraph => _hasMasksOutput && _hasOrigImSize;

    /// <summary>True when the four masks are read from a single-mask export's intermediate tensors.</summary>
    public bool UsesMultimaskTaps { get; }

    public static SamDecoder Open(string path, string modelName, EngineOptions options, MultimaskTaps? taps = null)
    {
        var session = OnnxModelLoader.Open(path, modelName, options, out var device,
            taps is null ? null : bytes => OnnxGraphOutputs.AddFloatOutputs(bytes, [taps.Scores, taps.Masks], modelName));
        try
        {
            const string expected = "expected SAM's decoder export: inputs image_embeddings [1,256,64,64], point_coords [1,N,2], point_labels [1,N], mask_input [1,1,256,256], has_mask_input [1], orig_im_size [2]; outputs iou_predictions and low_res_masks";
            var ins = session.InputMetadata;
            foreach (var name in new[] { N.ImageEmbeddings, N.PointCoords, N.PointLabels, N.MaskInput, N.HasMaskInput })
                if (!ins.ContainsKey(name))
                    throw new SegModelException(modelName, $"{path} has no input '{name}'; its inputs are {OnnxModelLoader.Describe(ins)}; {expected}");
            var emb = ins[N.ImageEmbeddings].Dimensions;
            if (emb.Length != 4 || (emb[1] > 0 && emb[1] != 256) || (emb[2] > 0 && emb[2] != 64))
                throw new SegModelException(modelName, $"{path}: input image_embeddings has shape [{string.Join(',', emb)}]; {expected}");
            var outs = session.OutputMetadata;
            foreach (var name in new[] { N.IouPredictions, N.LowResMasks })
                if (!outs.ContainsKey(name))
                    throw new SegModelException(modelName, $"{path} has no output '{name}'; its outputs are {OnnxModelLoader.Describe(outs)}; {expected}");
            int? count = null;
            var iou = outs[N.IouPredictions].Dimensions;
            if (iou.Length == 2 && iou[1] > 0) count = (int)iou[1];
            var low = outs[N.LowResMasks].Dimensions;
            if (count is null && low.Length == 4 && low[1] > 0) count = (int)low[1];
            if (count is not null and not 1 and not 4)
                throw new SegModelException(modelName, $"{path} returns {count} masks; expected 1 (single-mask export) or 4 (multi-mask export)");
            if (taps is not null)
            {
                foreach (var t in new[] { taps.Scores, taps.Masks })
                    if (!outs.ContainsKey(t))
                        throw new SegModelException(modelName, $"{path} has no tensor '{t}' to read the four masks from");
                count = 4;
            }
            return new SamDecoder(session, modelName, ins.ContainsKey(N.OrigImSize), outs.ContainsKey(N.Masks), count, device, taps) { Path = path, _options = options };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Decoder outputs: K masks of 256x256 logits and K scores; full-size masks only when asked for.</summary>
    public sealed record Result(float[][] LowRes, float[] Scores, float[][]? FullMasks, int FullWidth, int FullHeight);

    /// <summary>
    /// Runs the decoder. <paramref name="coords"/> holds x,y pairs in the 1024 frame and <paramref name="labels"/>
    /// one label per point (padding and box corners included). With <paramref name="inGraphUpscale"/> the
    /// decoder's own <c>masks</c> output is requested too (used to measure it against our upscaling).
    /// </summary>
    public Result Run(float[] embedding, float[] coords, float[] labels, float[]? maskInput, int origWidth, int origHeight, bool inGraphUpscale, CancellationToken ct)
    {
        using var lease = _gate.Enter();
        int n = labels.Length;
        using var vEmb = OrtValue.CreateTensorValueFromMemory(embedding, [1, 256, 64, 64]);
        using var vCoords = OrtValue.CreateTensorValueFromMemory(coords, [1, n, 2]);
        using var vLabels = OrtValue.CreateTensorValueFromMemory(labels, [1, n]);
        using var vMask = OrtValue.CreateTensorValueFromMemory(maskInput ?? ZeroMask, [1, 1, 256, 256]);
        using var vHas = OrtValue.CreateTensorValueFromMemory(new[] { maskInput is null ? 0f : 1f }, [1]);
        bool full = inGraphUpscale && CanUpscaleInGraph && _tapOutputs is null;
        // ONNX Runtime still computes the export's full-size masks when only the low-res outputs are asked for, and
        // those masks are as large as orig_im_size says; the low-res outputs and scores do not depend on it. So
        // without the full masks the decoder is told a small image (a 12 MP click: decoder run 71-80 -> 47-51 ms).
        using var vSize = OrtValue.CreateTensorValueFromMemory(full ? new[] { (float)origHeight, (float)origWidth } : UnusedOrigSize, [2]);
        OrtValue[] inputs = _hasOrigImSize ? [vEmb, vCoords, vLabels, vMask, vHas, vSize] : [vEmb, vCoords, vLabels, vMask, vHas];
        using var runOptions = new RunOptions();
        using var reg = ct.Register(() => runOptions.Terminate = true);
        try
        {
            using var outputs = _session.Run(runOptions, _inputNames, inputs, _tapOutputs ?? (full ? AllOutputs : LowResOutputs));
            int o = full ? 1 : 0;
            var scores = outputs[o].GetTensorDataAsSpan<float>().ToArray();
            var lowShape = outputs[o + 1].GetTensorTypeAndShape().Shape;
            if (lowShape.Length != 4 || lowShape[2] != 256 || lowShape[3] != 256)
                throw new SegModelException(ModelName, $"output low_res_masks has shape [{string.Join(',', lowShape)}]; expected [1,K,256,256]");
            int k = (int)lowShape[1];
            if (k != scores.Length || (k != 1 && k != 4))
                throw new SegModelException(ModelName, $"decoder returned {k} masks and {scores.Length} scores; expected 1 or 4 of each");
            Interlocked.CompareExchange(ref _maskCount, k, 0);
            var lowSpan = outputs[o + 1].GetTensorDataAsSpan<float>();
            var low = new float[k][];
            for (int i = 0; i < k; i++) low[i] = lowSpan.Slice(i * 65536, 65536).ToArray();
            float[][]? fullMasks = null;
            int fw = 0, fh = 0;
            if (full)
            {
                var fs = outputs[0].GetTensorTypeAndShape().Shape;
                fh = (int)fs[2]; fw = (int)fs[3];
                var span = outputs[0].GetTensorDataAsSpan<float>();
                fullMasks = new float[k][];
                for (int i = 0; i < k; i++) fullMasks[i] = span.Slice(i * fw * fh, fw * fh).ToArray();
            }
            return new Result(low, scores, fullMasks, fw, fh);
        }
        catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegModelException(ModelName, $"decoder run failed ({OnnxModelLoader.FirstLine(e.Message)})", e);
        }
    }

    private static readonly float[] ZeroMask = new float[256 * 256];

    /// <summary>The orig_im_size given when the full-size masks are not wanted (height, width): they are then 64x64.</summary>
    internal static readonly float[] UnusedOrigSize = [64f, 64f];

    /// <summary>
    /// Runs <paramref name="prompts"/> prompts of equally many points (no mask input, low-res outputs only): in one
    /// batched run where the export takes a batch (<see cref="SamBatchDecoder"/>), else one run per prompt.
    /// <paramref name="coords"/> holds prompts x points x (x, y) in the 1024 frame, <paramref name="labels"/> prompts x points.
    /// </summary>
    public Result[] RunMany(float[] embedding, float[] coords, float[] labels, int prompts, int origWidth, int origHeight, CancellationToken ct)
    {
        if (prompts < 1 || labels.Length % prompts != 0 || coords.Length != labels.Length * 2)
            throw new ArgumentException($"{prompts} prompts need as many points each: {labels.Length} labels and {coords.Length / 2} points given");
        if (prompts > 1 && BatchDecoder(embedding, coords, labels, prompts, origWidth, origHeight, ct) is { } batch)
            return batch.Run(embedding, coords, labels, prompts, origWidth, origHeight, ct);
        return Singles(embedding, coords, labels, prompts, origWidth, origHeight, ct);
    }

    /// <summary>True once batched runs were checked and are used, false where they are not; null before the first <see cref="RunMany"/>.</summary>
    internal bool? TakesBatches
    {
        get { lock (_batchLock) return _batchChecked ? _batch is not null : null; }
    }

    private Result[] Singles(float[] embedding, float[] coords, float[] labels, int prompts, int origWidth, int origHeight, CancellationToken ct)
    {
        int points = labels.Length / prompts;
        var results = new Result[prompts];
        for (int b = 0; b < prompts; b++)
            results[b] = Run(embedding, coords[(b * points * 2)..((b + 1) * points * 2)], labels[(b * points)..((b + 1) * points)], null, origWidth, origHeight, false, ct);
        return results;
    }

    /// <summary>The batched session, opened and checked against single runs on first use; null where batching does not hold.</summary>
    private SamBatchDecoder? BatchDecoder(float[] embedding, float[] coords, float[] labels, int prompts, int origWidth, int origHeight, CancellationToken ct)
    {
        lock (_batchLock)
        {
            if (_batchChecked) return _batch;
            SamBatchDecoder? batch = null;
            try
            {
                if (Path.Length == 0) return null;
                batch = SamBatchDecoder.Open(Path, ModelName, _options, _taps, _inputNames);
                int points = labels.Length / prompts;
                int two = Math.Min(2, prompts);
                var c = coords[..(two * points * 2)];
                var l = labels[..(two * points)];
                if (!SamBatchDecoder.Agree(batch.Run(embedding, c, l, two, origWidth, origHeight, ct), Singles(embedding, c, l, two, origWidth, origHeight, ct)))
                {
                    _options.Notice?.Invoke($"{ModelName}: batched runs disagree with single runs; prompts run one at a time");
                    batch.Dispose();
                    batch = null;
                }
            }
            catch (SegModelException e)
            {
                _options.Notice?.Invoke($"{ModelName}: no batched runs ({e.Message}); prompts run one at a time");
                batch?.Dispose();
                batch = null;
            }
            _batch = batch;
            _batchChecked = true;
            return batch;
        }
    }

    public void Dispose()
    {
        if (_gate.Close()) _session.Dispose();
        lock (_batchLock)
        {
            _batch?.Dispose();
            _batch = null;
            _batchChecked = true;
        }
    }
}

using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Internal;
using N = SegPlugins.Core.Segmentation.Sam.SamTensorNames;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// Several prompts in one decoder run. The official SAM decoder export computes everything from the shapes of its
/// inputs (the image embedding is repeated once per prompt inside the graph), but declares the prompt tensors as
/// [1,N,2] and [1,N]; with that first dimension declared free (only the inputs' declarations change, no node) the
/// same graph answers B prompts of N points each in one run. Its cost per prompt is the same network, so a batch
/// saves the per-run overhead only (measured in docs; the decoder does about 3.8 GFLOP per prompt either way).
/// A second session holds the declared-free graph, opened on first use; before it is used, a run of two prompts
/// is checked against the same prompts one at a time, and an export that fails the check (or cannot take a batch)
/// is run one prompt at a time instead.
/// </summary>
internal sealed class SamBatchDecoder : IDisposable
{
    /// <summary>Largest difference between a batched and a single run's outputs that the check accepts (logits).</summary>
    internal const float CheckTolerance = 1e-3f;

    private readonly InferenceSession _session;
    private readonly RunGate _gate;
    private readonly string[] _outputs;
    private readonly string[] _inputNames;
    private readonly string _modelName;

    private SamBatchDecoder(InferenceSession session, string modelName, string[] outputs, string[] inputNames)
    {
        _session = session;
        _modelName = modelName;
        _outputs = outputs;
        _inputNames = inputNames;
        _gate = new RunGate(modelName + " (batched)");
    }

    /// <summary>Opens the declared-free graph of <paramref name="path"/>; the outputs are the scores and low-res masks (or the taps).</summary>
    public static SamBatchDecoder Open(string path, string modelName, EngineOptions options, MultimaskTaps? taps, string[] inputNames)
    {
        string[] outputs = taps is null ? [N.IouPredictions, N.LowResMasks] : [taps.Scores, taps.Masks];
        var session = OnnxModelLoader.Open(path, modelName, options, out _, bytes => FreePromptBatch(bytes, taps));
        return new SamBatchDecoder(session, modelName, outputs, inputNames);
    }

    /// <summary>
    /// The model with the first dimension of <c>point_coords</c> and <c>point_labels</c> declared free (named
    /// "prompts") and, for a single-mask export, the four masks' tensors declared as outputs.
    /// </summary>
    internal static byte[] FreePromptBatch(byte[] bytes, MultimaskTaps? taps)
    {
        var model = ModelProto.Parser.ParseFrom(bytes);
        foreach (var input in model.Graph.Input)
        {
            if (input.Name is not (N.PointCoords or N.PointLabels)) continue;
            var dims = input.Type?.TensorType?.Shape?.Dim;
            if (dims is null || dims.Count == 0) continue;
            dims[0].DimParam = "prompts"; // replaces the fixed value (a oneof in the protobuf)
        }
        if (taps is not null)
        {
            var declared = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in new[] { taps.Scores, taps.Masks })
                if (declared.Add(name))
                    model.Graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        }
        return model.ToByteArray();
    }

    /// <summary>
    /// One run for <paramref name="prompts"/> prompts of equally many points: <paramref name="coords"/> holds
    /// prompts x points x (x, y) in the 1024 frame, <paramref name="labels"/> prompts x points.
    /// </summary>
    public SamDecoder.Result[] Run(float[] embedding, float[] coords, float[] labels, int prompts, int origWidth, int origHeight, CancellationToken ct)
    {
        using var lease = _gate.Enter();
        int points = labels.Length / prompts;
        using var vEmb = OrtValue.CreateTensorValueFromMemory(embedding, [1, N.EmbeddingChannels, N.EmbeddingSize, N.EmbeddingSize]);
        using var vCoords = OrtValue.CreateTensorValueFromMemory(coords, [prompts, points, 2]);
        using var vLabels = OrtValue.CreateTensorValueFromMemory(labels, [prompts, points]);
        using var vMask = OrtValue.CreateTensorValueFromMemory(new float[256 * 256], [1, 1, 256, 256]);
        using var vHas = OrtValue.CreateTensorValueFromMemory(new[] { 0f }, [1]);
        using var vSize = OrtValue.CreateTensorValueFromMemory(SamDecoder.UnusedOrigSize, [2]); // low-res outputs only (see SamDecoder.Run)
        OrtValue[] inputs = _inputNames.Length == 6 ? [vEmb, vCoords, vLabels, vMask, vHas, vSize] : [vEmb, vCoords, vLabels, vMask, vHas];
        using var runOptions = new RunOptions();
        using var reg = ct.Register(() => runOptions.Terminate = true);
        try
        {
            using var outputs = _session.Run(runOptions, _inputNames, inputs, _outputs);
            var scores = outputs[0].GetTensorDataAsSpan<float>();
            var masks = outputs[1].GetTensorDataAsSpan<float>();
            var shape = outputs[1].GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != prompts || shape[2] != 256 || shape[3] != 256 || scores.Length != prompts * shape[1])
                throw new SegModelException(_modelName, $"a batch of {prompts} prompts gave masks [{string.Join(',', shape)}] and {scores.Length} scores; expected [{prompts},K,256,256] and {prompts}xK");
            int k = (int)shape[1];
            var results = new SamDecoder.Result[prompts];
            for (int b = 0; b < prompts; b++)
            {
                var low = new float[k][];
                for (int i = 0; i < k; i++) low[i] = masks.Slice((b * k + i) * 65536, 65536).ToArray();
                results[b] = new SamDecoder.Result(low, scores.Slice(b * k, k).ToArray(), null, 0, 0);
            }
            return results;
        }
        catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegModelException(_modelName, $"batched decoder run failed ({OnnxModelLoader.FirstLine(e.Message)})", e);
        }
    }

    /// <summary>True when every output of <paramref name="batched"/> is within <see cref="CheckTolerance"/> of <paramref name="single"/>.</summary>
    internal static bool Agree(SamDecoder.Result[] batched, SamDecoder.Result[] single)
    {
        if (batched.Length != single.Length) return false;
        for (int b = 0; b < batched.Length; b++)
        {
            var (x, y) = (batched[b], single[b]);
            if (x.Scores.Length != y.Scores.Length || x.LowRes.Length != y.LowRes.Length) return false;
            for (int i = 0; i < x.Scores.Length; i++)
                if (!(MathF.Abs(x.Scores[i] - y.Scores[i]) <= CheckTolerance)) return false;
            for (int i = 0; i < x.LowRes.Length; i++)
                for (int j = 0; j < x.LowRes[i].Length; j++)
                    if (!(MathF.Abs(x.LowRes[i][j] - y.LowRes[i][j]) <= CheckTolerance * Math.Max(1f, MathF.Abs(y.LowRes[i][j])))) return false;
        }
        return true;
    }

    public void Dispose()
    {
        if (_gate.Close()) _session.Dispose();
    }
}

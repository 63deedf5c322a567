using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Scripting.Bench;

/// <summary>
/// The published SAM encoder and decoder run directly on ONNX Runtime, with the engine's session settings (all graph
/// optimisations, one thread per core, no spinning) on the CPU: the floor that the engine's own runs are compared with.
/// </summary>
internal sealed class RawOnnx : IDisposable
{
    private InferenceSession? _encoder;
    private readonly InferenceSession _decoder;
    private readonly string _encoderInput;
    private readonly string _encoderOutput;

    public RawOnnx(string encoderPath, string decoderPath, int? threads, bool shareRunMemory = false)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads ?? Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        so.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        // The arena the engine's sessions share (EngineOptions.ShareRunMemory), once one of them has registered it.
        if (shareRunMemory) so.AddSessionConfigEntry("session.use_env_allocators", "1");
        _encoder = new InferenceSession(encoderPath, so);
        _decoder = new InferenceSession(decoderPath, so);
        var (name, meta) = _encoder.InputMetadata.First();
        _encoderInput = name;
        _encoderOutput = _encoder.OutputMetadata.FirstOrDefault(o => o.Value.Dimensions is [_, 256, 64, 64]).Key ?? _encoder.OutputNames[0];
        var d = meta.Dimensions;
        TakesNormalizedTensor = d.Length == 4 && d[1] == 3 && d[2] == SamTransform.ModelSize && d[3] == SamTransform.ModelSize
                                && meta.ElementDataType == TensorElementType.Float;
        HasMasksOutput = _decoder.OutputMetadata.ContainsKey("masks");
    }

    /// <summary>True for encoders that take the normalised, padded [1,3,1024,1024] tensor (MobileSAM, SAM ViT).</summary>
    public bool TakesNormalizedTensor { get; }

    /// <summary>True when the decoder export has the full-size <c>masks</c> output (upscaling inside the graph).</summary>
    public bool HasMasksOutput { get; }

    /// <summary>One encoder run on a prepared [1,3,1024,1024] tensor; returns the [1,256,64,64] embedding.</summary>
    public float[] Encode(float[] chw)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(chw, [1, 3, SamTransform.ModelSize, SamTransform.ModelSize]);
        using var run = new RunOptions();
        var encoder = _encoder ?? throw new ObjectDisposedException(nameof(RawOnnx), "the encoder was closed (CloseEncoder)");
        using var outputs = encoder.Run(run, [_encoderInput], [input], [_encoderOutput]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>
    /// One decoder run for <paramref name="prompts"/> on an embedding: the scores and low-res masks, or with
    /// <paramref name="fullMasks"/> the decoder's own full-size masks thresholded at 0 into a byte mask.
    /// </summary>
    public void Decode(float[] embedding, PromptSet prompts, SamTransform t, bool fullMasks)
    {
        int n = prompts.Points.Count + (prompts.Box is null ? 1 : 2);
        var coords = new float[n * 2];
        var labels = new float[n];
        int i = 0;
        foreach (var p in prompts.Points)
        {
            coords[2 * i] = t.MapX(p.X); coords[2 * i + 1] = t.MapY(p.Y); labels[i++] = p.Positive ? 1 : 0;
        }
        if (prompts.Box is { } b)
        {
            coords[2 * i] = t.MapX(b.X0); coords[2 * i + 1] = t.MapY(b.Y0); labels[i++] = 2;
            coords[2 * i] = t.MapX(b.X1); coords[2 * i + 1] = t.MapY(b.Y1); labels[i] = 3;
        }
        else labels[i] = -1; // the padding point (0,0)

        using var emb = OrtValue.CreateTensorValueFromMemory(embedding, [1, 256, 64, 64]);
        using var pc = OrtValue.CreateTensorValueFromMemory(coords, [1, n, 2]);
        using var pl = OrtValue.CreateTensorValueFromMemory(labels, [1, n]);
        using var mi = OrtValue.CreateTensorValueFromMemory(new float[SamTransform.LowResSize * SamTransform.LowResSize], [1, 1, SamTransform.LowResSize, SamTransform.LowResSize]);
        using var hm = OrtValue.CreateTensorValueFromMemory(new float[1], [1]);
        using var size = OrtValue.CreateTensorValueFromMemory(new float[] { t.SourceHeight, t.SourceWidth }, [2]);
        string[] names = ["image_embeddings", "point_coords", "point_labels", "mask_input", "has_mask_input", "orig_im_size"];
        string[] wanted = fullMasks ? ["iou_predictions", "low_res_masks", "masks"] : ["iou_predictions", "low_res_masks"];
        using var run = new RunOptions();
        using var outputs = _decoder.Run(run, names, [emb, pc, pl, mi, hm, size], wanted);
        if (!fullMasks) return;
        var masks = outputs[2].GetTensorDataAsSpan<float>();
        int pixels = t.SourceWidth * t.SourceHeight;
        var m = new byte[pixels];
        for (int k = 0; k < pixels; k++) m[k] = masks[k] > 0 ? (byte)255 : (byte)0;
    }

    /// <summary>Closes the encoder session and frees its arena; the decoder stays usable.</summary>
    public void CloseEncoder()
    {
        _encoder?.Dispose();
        _encoder = null;
    }

    public void Dispose()
    {
        CloseEncoder();
        _decoder.Dispose();
    }
}

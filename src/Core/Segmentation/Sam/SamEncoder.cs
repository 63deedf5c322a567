using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Internal;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// A SAM-family image encoder. Two input conventions exist and are told apart by the model's own metadata:
/// a normalised, padded [N,3,1024,1024] tensor (MobileSAM's <c>input</c>, SAM ViT's <c>input_image</c>), or an
/// [H,W,3] image on the 0-255 scale, already resized to the longest side 1024, with normalisation and padding
/// inside the graph.
/// </summary>
internal sealed class SamEncoder : IDisposable
{
    public enum InputLayout { NormalizedNchw, RgbHwc }

    private readonly InferenceSession _session;
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly TensorElementType _inputType;
    private readonly RunGate _gate;

    private SamEncoder(InferenceSession session, string modelName, string input, string output, InputLayout layout, TensorElementType inputType, ExecutionDevice device)
    {
        _session = session;
        ModelName = modelName;
        _inputName = input;
        _outputName = output;
        Layout = layout;
        _inputType = inputType;
        Device = device;
        _gate = new RunGate(modelName);
    }

    public string ModelName { get; }
    public InputLayout Layout { get; }
    public ExecutionDevice Device { get; }

    public static SamEncoder Open(string path, string modelName, EngineOptions options)
    {
        var session = OnnxModelLoader.Open(path, modelName, options, out var device);
        try
        {
            var (input, output, layout, type) = Inspect(session, modelName, path);
            return new SamEncoder(session, modelName, input, output, layout, type, device);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static (string, string, InputLayout, TensorElementType) Inspect(InferenceSession session, string modelName, string path)
    {
        const string expected = "expected one input, either [N,3,1024,1024] float (normalised) or [H,W,3] (0-255, preprocessing in the graph), and an output [1,256,64,64]";
        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
            throw new SegModelException(modelName, $"{path} is not a SAM image encoder: it has inputs {OnnxModelLoader.Describe(inputs)}; {expected}");
        var (inName, inMeta) = inputs.First();
        if (!inMeta.IsTensor)
            throw new SegModelException(modelName, $"{path}: input '{inName}' is not a tensor; {expected}");
        var d = inMeta.Dimensions;
        InputLayout layout;
        if (d.Length == 4 && Fits(d[1], 3) && Fits(d[2], 1024) && Fits(d[3], 1024) && inMeta.ElementDataType == TensorElementType.Float)
            layout = InputLayout.NormalizedNchw;
        else if (d.Length == 3 && Fits(d[2], 3) && inMeta.ElementDataType is TensorElementType.Float or TensorElementType.UInt8)
            layout = InputLayout.RgbHwc;
        else
            throw new SegModelException(modelName, $"{path}: input '{inName}' has shape [{string.Join(',', d)}] ({inMeta.ElementDataType}); {expected}");

        string? outName = null;
        foreach (var (name, meta) in session.OutputMetadata)
        {
            var od = meta.Dimensions;
            if (meta.IsTensor && od.Length == 4 && Fits(od[1], 256) && Fits(od[2], 64) && Fits(od[3], 64))
            {
                if (outName is null || name == SamTensorNames.ImageEmbeddings) outName = name;
            }
        }
        if (outName is null)
            throw new SegModelException(modelName, $"{path} has no output of shape [1,256,64,64]; outputs are {OnnxModelLoader.Describe(session.OutputMetadata)}; {expected}");
        return (inName, outName, layout, inMeta.ElementDataType);
    }

    private static bool Fits(long dim, long want) => dim == want || dim <= 0;

    /// <summary>Preprocesses and encodes; returns the [256,64,64] embedding.</summary>
    public float[] Encode(BgraImage image, SamTransform t, CancellationToken ct)
    {
        byte[] rgb = SamPreprocessor.ResizeToRgb(image, t);
        ct.ThrowIfCancellationRequested();
        if (Layout == InputLayout.NormalizedNchw)
        {
            var chw = new float[3 * SamTransform.ModelSize * SamTransform.ModelSize];
            SamPreprocessor.Normalize(rgb, t, chw);
            return RunNormalized(chw, ct);
        }
        return RunHwc(rgb, t, ct);
    }

    /// <summary>One encoder run on a prepared [1,3,1024,1024] tensor.</summary>
    public float[] RunNormalized(float[] chw, CancellationToken ct)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(chw, [1, 3, SamTransform.ModelSize, SamTransform.ModelSize]);
        return Run(input, ct);
    }

    private float[] RunHwc(byte[] rgb, SamTransform t, CancellationToken ct)
    {
        long[] shape = [t.ResizedHeight, t.ResizedWidth, 3];
        if (_inputType == TensorElementType.UInt8)
        {
            using var v = OrtValue.CreateTensorValueFromMemory(rgb, shape);
            return Run(v, ct);
        }
        var f = new float[rgb.Length];
        for (int i = 0; i < rgb.Length; i++) f[i] = rgb[i];
        using var input = OrtValue.CreateTensorValueFromMemory(f, shape);
        return Run(input, ct);
    }

    private float[] Run(OrtValue input, CancellationToken ct)
    {
        using var lease = _gate.Enter();
        using var runOptions = new RunOptions();
        using var reg = ct.Register(() => runOptions.Terminate = true);
        try
        {
            using var outputs = _session.Run(runOptions, [_inputName], [input], [_outputName]);
            var output = outputs[0];
            var shape = output.GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != 1 || shape[1] != SamTensorNames.EmbeddingChannels || shape[2] != SamTensorNames.EmbeddingSize || shape[3] != SamTensorNames.EmbeddingSize)
                throw new SegModelException(ModelName, $"encoder output '{_outputName}' has shape [{string.Join(',', shape)}]; expected [1,256,64,64]");
            return output.GetTensorDataAsSpan<float>().ToArray();
        }
        catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegModelException(ModelName, $"encoder run failed ({OnnxModelLoader.FirstLine(e.Message)})", e);
        }
    }

    public void Dispose()
    {
        if (_gate.Close()) _session.Dispose();
    }
}

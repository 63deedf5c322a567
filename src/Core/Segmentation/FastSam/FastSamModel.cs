using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using SegPlugins.Core.Inference;

namespace SegPlugins.Core.Segmentation.FastSam;

/// <summary>
/// A FastSAM (YOLOv8-seg) ONNX export: input <c>images</c> [1,3,S,S] (RGB 0..1, letterboxed), outputs
/// <c>output0</c> [1, 4+nc+nm, A] (cx, cy, w, h, nc class scores, nm mask coefficients per anchor) and
/// <c>output1</c> [1, nm, S/4, S/4] (mask prototypes). The input size comes from the exporter's metadata
/// (<c>imgsz</c>), else from a static input shape; the class count from <c>names</c>, else from the shapes.
/// </summary>
internal sealed partial class FastSamModel : IDisposable
{
    private readonly InferenceSession _session;

    private FastSamModel(InferenceSession session, string name, string input, string head, string protos, int? inputSize, int? classes, ExecutionDevice device)
    {
        _session = session;
        ModelName = name;
        InputName = input;
        HeadName = head;
        ProtoName = protos;
        MetadataInputSize = inputSize;
        MetadataClasses = classes;
        Device = device;
    }

    public string ModelName { get; }
    public string InputName { get; }
    public string HeadName { get; }
    public string ProtoName { get; }
    /// <summary>Input side from metadata or a static input shape; null when the model leaves it open.</summary>
    public int? MetadataInputSize { get; }
    public int? MetadataClasses { get; }
    public ExecutionDevice Device { get; }

    public static FastSamModel Open(string path, string name, EngineOptions options)
    {
        var session = OnnxModelLoader.Open(path, name, options, out var device);
        try
        {
            return Inspect(session, name, path, device);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private const string Contract = "expected a FastSAM/YOLOv8-seg export: input images [1,3,S,S], outputs output0 [1,4+nc+32,A] and output1 [1,32,S/4,S/4]";

    private static FastSamModel Inspect(InferenceSession session, string name, string path, ExecutionDevice device)
    {
        if (session.InputMetadata.Count != 1)
            throw new SegModelException(name, $"{path} has inputs {OnnxModelLoader.Describe(session.InputMetadata)}; {Contract}");
        var (inName, inMeta) = session.InputMetadata.First();
        var d = inMeta.Dimensions;
        if (!inMeta.IsTensor || d.Length != 4 || !Fits(d[1], 3) || inMeta.ElementDataType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)
            throw new SegModelException(name, $"{path}: input '{inName}' has shape [{string.Join(',', d)}]; {Contract}");

        string? head = null, protos = null;
        foreach (var (n, m) in session.OutputMetadata)
        {
            if (!m.IsTensor) continue;
            if (m.Dimensions.Length == 3 && (head is null || n == "output0")) head = n;
            else if (m.Dimensions.Length == 4 && (protos is null || n == "output1")) protos = n;
        }
        if (head is null || protos is null)
            throw new SegModelException(name, $"{path} has outputs {OnnxModelLoader.Describe(session.OutputMetadata)}; {Contract}");

        var meta = session.ModelMetadata.CustomMetadataMap;
        int? size = null;
        if (meta.TryGetValue("imgsz", out var imgsz))
        {
            var nums = Numbers().Matches(imgsz).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
            if (nums.Length is 1 or 2 && nums.All(v => v == nums[0]) && nums[0] > 0) size = nums[0];
            else throw new SegModelException(name, $"{path}: metadata imgsz '{imgsz}' is not one square size; FastSAM exports are square");
        }
        if (d[2] > 0 && d[3] > 0)
        {
            if (d[2] != d[3]) throw new SegModelException(name, $"{path}: input '{inName}' is [{string.Join(',', d)}]; a square input is expected");
            if (size is { } s && s != d[2]) throw new SegModelException(name, $"{path}: metadata imgsz {s} disagrees with input '{inName}' [{string.Join(',', d)}]");
            size = (int)d[2];
        }
        int? classes = null;
        if (meta.TryGetValue("names", out var names))
            classes = ClassKeys().Matches(names).Count is > 0 and var c ? c : null;

        var model = new FastSamModel(session, name, inName, head, protos, size, classes, device);
        // Static shapes can be checked now; dynamic ones are checked on the first run.
        var hd = session.OutputMetadata[head].Dimensions;
        var pd = session.OutputMetadata[protos].Dimensions;
        if (hd[1] > 0 && pd[1] > 0) model.CheckLayout(Array.ConvertAll(hd, v => (long)v), Array.ConvertAll(pd, v => (long)v));
        return model;
    }

    /// <summary>Throws unless the head is [1, 4+nc+nm, A] for the prototypes' nm (nc from metadata when present).</summary>
    public (int Classes, int MaskDim, int Anchors) CheckLayout(ReadOnlySpan<long> head, ReadOnlySpan<long> protos)
    {
        string hs = $"[{string.Join(',', head.ToArray())}]", ps = $"[{string.Join(',', protos.ToArray())}]";
        if (protos.Length != 4 || protos[0] > 1 || protos[1] <= 0)
            throw new SegModelException(ModelName, $"output '{ProtoName}' has shape {ps}; expected the mask prototypes [1,nm,S/4,S/4]");
        int nm = (int)protos[1];
        if (head.Length != 3 || head[0] > 1)
            throw new SegModelException(ModelName, $"output '{HeadName}' has shape {hs}; expected [1,4+nc+{nm},A]");
        int nc = MetadataClasses ?? (int)(head[1] - 4 - nm);
        long want = 4 + nc + nm;
        if (head[1] != want)
        {
            string hint = head[2] == want ? " (it looks transposed: anchors first; re-export without transposing the head)" : "";
            throw new SegModelException(ModelName, $"output '{HeadName}' has shape {hs}; expected [1,{want},A] = [1, 4 box + {nc} class + {nm} mask coefficient rows, anchors]{hint}");
        }
        if (nc < 1)
            throw new SegModelException(ModelName, $"output '{HeadName}' has shape {hs}; with {nm} prototypes there is no class score row (expected [1,4+nc+{nm},A], nc >= 1)");
        return (nc, nm, (int)head[2]);
    }

    /// <summary>Raw outputs of one run.</summary>
    public sealed record Outputs(float[] Head, long[] HeadShape, float[] Protos, long[] ProtoShape);

    public Outputs Run(float[] chw, int size, CancellationToken ct)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(chw, [1, 3, size, size]);
        using var runOptions = new RunOptions();
        using var reg = ct.Register(() => runOptions.Terminate = true);
        try
        {
            using var outputs = _session.Run(runOptions, [InputName], [input], [HeadName, ProtoName]);
            return new Outputs(outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[0].GetTensorTypeAndShape().Shape,
                outputs[1].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorTypeAndShape().Shape);
        }
        catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegModelException(ModelName, $"run failed on a [1,3,{size},{size}] input ({OnnxModelLoader.FirstLine(e.Message)})", e);
        }
    }

    private static bool Fits(long dim, long want) => dim == want || dim <= 0;

    [GeneratedRegex(@"\d+")]
    private static partial Regex Numbers();

    [GeneratedRegex(@"(?:^|[{,])\s*\d+\s*:")]
    private static partial Regex ClassKeys();

    public void Dispose() => _session.Dispose();
}

using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace SegPlugins.Core.Inference.Quantization;

/// <summary>What <see cref="Int8Quantizer.Quantize"/> made.</summary>
public sealed record QuantizationResult(byte[] Model, int QuantizedMatMuls, int FloatMatMuls, long QuantizedWeights);

/// <summary>
/// Rewrites a float32 ONNX graph so that every product with a constant weight matrix (<c>MatMul(A, W)</c>, W a
/// 2-D initializer) runs as ONNX Runtime's <c>com.microsoft.DynamicQuantizeMatMul</c>: the activations are
/// quantized to uint8 per run from their own range, the weights are stored as symmetric int8 (one scale per output
/// column), and the integer product is scaled back to float32 (with a following constant bias folded in). Everything
/// else is left as it is. Such products are 65 % of MobileSAM's encoder FLOPs; its convolutions (27 %) stay float32
/// (measured: quantizing the 1x1 ones as uint8 products gained little on AVX2 and doubled the embedding error).
/// </summary>
public static class Int8Quantizer
{
    /// <summary>Operator domain of ONNX Runtime's contrib operators.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    public const string QuantizedOp = "DynamicQuantizeMatMul";

    /// <summary>Quantizes a serialized float32 model; <paramref name="modelName"/> names it in errors.</summary>
    public static QuantizationResult Quantize(ReadOnlySpan<byte> fp32Model, string modelName, Int8QuantizerOptions? options = null)
    {
        options ??= Int8QuantizerOptions.Default;
        options.Validate();
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(fp32Model.ToArray());
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SegModelException(modelName, $"cannot be quantized: it is not a readable ONNX model ({e.Message})", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new SegModelException(modelName, "cannot be quantized: the ONNX model has no graph");
        if (model.OpsetImport.Any(o => o.Domain == MicrosoftDomain) && model.Graph.Node.Any(n => n.OpType == QuantizedOp))
            throw new SegModelException(modelName, "is already quantized (it contains DynamicQuantizeMatMul); give the float32 model");

        var graph = model.Graph;
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers[t.Name] = t;
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            foreach (var input in n.Input)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(n);
            }
        var graphOutputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var names = new HashSet<string>(initializers.Keys, StringComparer.Ordinal);
        foreach (var n in graph.Node) foreach (var o in n.Output) names.Add(o);

        var folded = new HashSet<NodeProto>();
        var nodes = new List<NodeProto>(graph.Node.Count);
        var quantizedWeights = new Dictionary<string, (string Q, string Scale)>(StringComparer.Ordinal);
        int quantized = 0, kept = 0;
        long weights = 0;
        foreach (var node in graph.Node)
        {
            if (folded.Contains(node)) continue;
            if (node.OpType != "MatMul" || node.Domain.Length != 0)
            {
                nodes.Add(node);
                continue;
            }
            if (node.Input.Count != 2 || !initializers.TryGetValue(node.Input[1], out var w) || !IsQuantizable(w, options))
            {
                kept++;
                nodes.Add(node);
                continue;
            }
            int k = (int)w.Dims[0], n = (int)w.Dims[1];
            if (!quantizedWeights.TryGetValue(w.Name, out var q))
            {
                var (values, scales) = QuantizeWeights(FloatsOf(w), k, n, options);
                q = (Unique(names, w.Name + "_int8"), Unique(names, w.Name + "_scale"));
                graph.Initializer.Add(Tensor(q.Q, TensorProto.Types.DataType.Int8, MemoryMarshal.AsBytes(values.AsSpan()), k, n));
                graph.Initializer.Add(Tensor(q.Scale, TensorProto.Types.DataType.Float, MemoryMarshal.AsBytes(scales.AsSpan()), options.PerChannel ? [n] : []));
                quantizedWeights[w.Name] = q;
                weights += (long)k * n;
            }
            var dq = new NodeProto { OpType = QuantizedOp, Domain = MicrosoftDomain, Name = Unique(names, (node.Name.Length > 0 ? node.Name : node.Output[0]) + "_int8") };
            dq.Input.Add(node.Input[0]);
            dq.Input.Add(q.Q);
            dq.Input.Add(q.Scale);
            string output = node.Output[0];
            if (options.FoldBias && !graphOutputs.Contains(output) && consumers.TryGetValue(output, out var users) && users.Count == 1
                && users[0] is { OpType: "Add", Domain: "", Input.Count: 2 } add)
            {
                string other = add.Input[0] == output ? add.Input[1] : add.Input[0];
                if (other != output && initializers.TryGetValue(other, out var bias) && bias.DataType == (int)TensorProto.Types.DataType.Float
                    && bias.Dims.Count == 1 && bias.Dims[0] == n && bias.DataLocation != TensorProto.Types.DataLocation.External)
                {
                    dq.Input.Add(""); // no weight zero point: the weights are symmetric
                    dq.Input.Add(other);
                    output = add.Output[0];
                    folded.Add(add);
                }
            }
            dq.Output.Add(output);
            nodes.Add(dq);
            quantized++;
        }
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var used = new HashSet<string>(nodes.SelectMany(x => x.Input), StringComparer.Ordinal);
        foreach (var o in graph.Output) used.Add(o.Name);
        var keep = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(keep);
        if (!model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return new QuantizationResult(model.ToByteArray(), quantized, kept, weights);
    }

    private static bool IsQuantizable(TensorProto w, Int8QuantizerOptions options) =>
        w.DataType == (int)TensorProto.Types.DataType.Float && w.Dims.Count == 2 && w.Dims[0] > 0 && w.Dims[1] > 0
        && w.Dims[0] * w.Dims[1] >= options.MinWeightElements && w.DataLocation != TensorProto.Types.DataLocation.External
        && (w.RawData.Length == w.Dims[0] * w.Dims[1] * 4 || w.FloatData.Count == w.Dims[0] * w.Dims[1]);

    /// <summary>
    /// Symmetric quantization of a row-major [K,N] matrix: per column (or per tensor) scale = max |w| / qmax,
    /// values rounded to nearest and clamped to [-qmax, qmax].
    /// </summary>
    internal static (sbyte[] Values, float[] Scales) QuantizeWeights(ReadOnlySpan<float> w, int k, int n, Int8QuantizerOptions options)
    {
        int qmax = (1 << (options.WeightBits - 1)) - 1;
        var scales = new float[options.PerChannel ? n : 1];
        for (int r = 0; r < k; r++)
        {
            var row = w.Slice(r * n, n);
            for (int c = 0; c < n; c++)
            {
                ref float s = ref scales[options.PerChannel ? c : 0];
                s = MathF.Max(s, MathF.Abs(row[c]));
            }
        }
        for (int i = 0; i < scales.Length; i++)
            scales[i] = scales[i] > 0 && float.IsFinite(scales[i]) ? scales[i] / qmax : 1f;
        var values = new sbyte[k * n];
        for (int r = 0; r < k; r++)
            for (int c = 0; c < n; c++)
            {
                float v = w[r * n + c] / scales[options.PerChannel ? c : 0];
                values[r * n + c] = (sbyte)Math.Clamp((int)MathF.Round(v, MidpointRounding.ToEven), -qmax, qmax);
            }
        return (values, scales);
    }

    private static float[] FloatsOf(TensorProto t) =>
        t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();

    private static TensorProto Tensor(string name, TensorProto.Types.DataType type, ReadOnlySpan<byte> raw, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static string Unique(HashSet<string> names, string wanted)
    {
        string name = wanted;
        for (int i = 1; !names.Add(name); i++) name = wanted + "_" + i;
        return name;
    }
}

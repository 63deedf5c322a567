namespace SegPlugins.Core.Inference;

/// <summary>
/// Makes intermediate tensors of an ONNX model fetchable by declaring them as extra graph outputs. ONNX Runtime
/// only returns graph outputs, and some exports compute more than they return: the single-mask SAM decoder
/// export computes all four masks and scores, then keeps one. Only the serialized protobuf's graph field is
/// rewritten; weights and nodes are untouched.
/// </summary>
internal static class OnnxGraphOutputs
{
    private const int ModelGraphField = 7;   // ModelProto.graph
    private const int GraphOutputField = 12; // GraphProto.output
    private const int FloatElemType = 1;     // TensorProto.DataType.FLOAT

    /// <summary>Returns a copy of <paramref name="model"/> whose graph also outputs <paramref name="names"/> (float tensors).</summary>
    public static byte[] AddFloatOutputs(ReadOnlySpan<byte> model, IReadOnlyList<string> names, string modelName)
    {
        int pos = 0;
        int graphStart = -1, graphLen = 0, fieldStart = 0;
        while (pos < model.Length)
        {
            int start = pos;
            ulong key = ReadVarint(model, ref pos, modelName);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: ReadVarint(model, ref pos, modelName); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    ulong len = ReadVarint(model, ref pos, modelName);
                    if (len > (ulong)(model.Length - pos)) throw Bad(modelName, "a field runs past the end of the file");
                    if (field == ModelGraphField) { fieldStart = start; graphStart = pos; graphLen = (int)len; }
                    pos += (int)len;
                    break;
                default: throw Bad(modelName, $"unexpected protobuf wire type {wire}");
            }
            if (pos > model.Length) throw Bad(modelName, "truncated");
        }
        if (graphStart < 0) throw Bad(modelName, "no graph");

        using var extra = new MemoryStream();
        foreach (var name in names)
        {
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
            // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1 } } }
            byte[] type = [0x0A, 0x02, 0x08, FloatElemType];
            using var vi = new MemoryStream();
            vi.WriteByte(0x0A);
            WriteVarint(vi, (ulong)nameBytes.Length);
            vi.Write(nameBytes);
            vi.WriteByte(0x12);
            WriteVarint(vi, (ulong)type.Length);
            vi.Write(type);
            WriteVarint(extra, (GraphOutputField << 3) | 2);
            WriteVarint(extra, (ulong)vi.Length);
            vi.WriteTo(extra);
        }

        using var result = new MemoryStream(model.Length + (int)extra.Length + 16);
        result.Write(model[..fieldStart]);
        WriteVarint(result, (ModelGraphField << 3) | 2);
        WriteVarint(result, (ulong)(graphLen + extra.Length));
        result.Write(model.Slice(graphStart, graphLen));
        extra.WriteTo(result);
        result.Write(model[(graphStart + graphLen)..]);
        return result.ToArray();
    }

    private static SegModelException Bad(string model, string what) => new(model, $"is not a well-formed ONNX model ({what})");

    private static ulong ReadVarint(ReadOnlySpan<byte> b, ref int pos, string model)
    {
        ulong v = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= b.Length) throw Bad(model, "truncated varint");
            byte x = b[pos++];
            v |= (ulong)(x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw Bad(model, "varint too long");
    }

    private static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }
}

using SegPlugins.Core.Inference;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

/// <summary>The ONNX file check walks the top-level protobuf fields and refuses hostile or cut-off files before ONNX Runtime.</summary>
public class OnnxHeaderCheckTests
{
    private static string Check(byte[] file)
    {
        using var s = new MemoryStream(file);
        return Assert.Throws<SegModelException>(() => OnnxModelLoader.CheckHeader(s, "enc.onnx", "test")).Message;
    }

    [Theory]
    [InlineData("sam_decoder_single.onnx")]
    [InlineData("sam_encoder_preprocess.onnx")]
    [InlineData("clip_text_tiny.onnx")]
    [InlineData("fastsam_tiny.onnx")]
    public void RealModels_Pass(string name)
    {
        using var s = File.OpenRead(TestPaths.Fixture("models", name));
        OnnxModelLoader.CheckHeader(s, name, "test");
    }

    [Fact]
    public void CutOffModel_IsRefusedWithTheFieldThatRunsPastTheEnd()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx"));
        var message = Check(bytes[..(bytes.Length / 2)]);
        Assert.StartsWith("model test: enc.onnx is corrupt, truncated or not an ONNX model: field ", message);
        Assert.Contains($"but only ", message);
        Assert.EndsWith("remain (truncated download?)", message);
    }

    [Fact]
    public void GroupWireTypeOrFieldZero_AreRefused()
    {
        byte[] head = [0x08, 0x07, 0x12, 0x02, (byte)'h', (byte)'i'];
        Assert.Equal("model test: enc.onnx is corrupt, truncated or not an ONNX model: field 7 at byte 6 has protobuf wire type 3, which ONNX models do not use",
            Check([.. head, 0x3B, .. new byte[12]]));
        Assert.Equal("model test: enc.onnx is corrupt, truncated or not an ONNX model: field number 0 at byte 6 is not a valid protobuf field",
            Check([.. head, 0x02, .. new byte[12]]));
    }

    [Fact]
    public void ModelWithoutGraph_IsRefused()
    {
        byte[] noGraph = [0x08, 0x07, 0x12, 0x0E, .. "segplugins-ok"u8, 0x21, 0x28, 0x01];
        Assert.Equal("model test: enc.onnx is corrupt, truncated or not an ONNX model: it has no graph (ModelProto field 7)", Check(noGraph));
    }

    [Fact]
    public void OverlongVarint_IsRefused()
    {
        byte[] file = [0x08, 0x07, 0x28, .. Enumerable.Repeat((byte)0xFF, 14)];
        Assert.Equal("model test: enc.onnx is corrupt, truncated or not an ONNX model: the number at byte 2 is longer than a protobuf varint", Check(file));
    }
}

/// <summary>A manifest with bytes that are not UTF-8 (fuzz finding: InvalidOperationException from the serializer) is refused by name.</summary>
public class ModelManifestFuzzFindingsTests
{
    [Fact]
    public void InvalidUtf8InsideAString_IsRefused()
    {
        byte[] json = [.. "{\"models\":[{\"id\":\""u8, 0xFF, 0xAB, .. "\"}]}"u8];
        var e = Assert.Throws<SegInputException>(() => ModelManifest.Parse(json, "models.json"));
        Assert.Equal("models.json: model manifest is not UTF-8 text (invalid byte sequence at byte 18)", e.Message);
    }
}

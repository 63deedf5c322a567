using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

/// <summary>Model files that are missing, broken or of the wrong kind get a message naming the file and the expectation.</summary>
[Collection(MobileSamCollection.Name)]
[Trait("Requires", "models")]
public class ModelLoadTests
{
    private readonly ModelFiles _sam;
    private readonly string _u2net;

    public ModelLoadTests(MobileSamFixture _)
    {
        var store = ModelStore.CreateDefault();
        _sam = store.EnsureAsync(ModelIds.MobileSam).GetAwaiter().GetResult();
        _u2net = store.EnsureAsync(ModelIds.U2NetP).GetAwaiter().GetResult().PathOf(ModelRole.Saliency);
    }

    private string Encoder => _sam.PathOf(ModelRole.Encoder);
    private string Decoder => _sam.PathOf(ModelRole.Decoder);

    [Fact]
    public void MissingModelFile()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(dir.File("nope.onnx"), Decoder));
        Assert.Contains("file not found", e.Message);
        Assert.Contains(dir.File("nope.onnx"), e.Message);
    }

    [Fact]
    public void TruncatedModelFile()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Decoder);
        File.WriteAllBytes(dir.File("cut.onnx"), bytes[..(bytes.Length / 3)]);
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(Encoder, dir.File("cut.onnx")));
        Assert.Contains("cut.onnx", e.Message);
        Assert.Contains("corrupt, truncated or not an ONNX model", e.Message);
    }

    [Fact]
    public void FileThatIsNotOnnxIsRejectedBeforeTheRuntime()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("model.onnx"), "<html>404 not found</html> and some more text");
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(dir.File("model.onnx"), Decoder));
        Assert.Contains("is not an ONNX model", e.Message);
        File.WriteAllBytes(dir.File("tiny.onnx"), [8, 7]);
        Assert.Contains("too small", Assert.Throws<SegModelException>(() => SamSession.Open(dir.File("tiny.onnx"), Decoder)).Message);
    }

    [Fact]
    public void ModelWithWrongInputsAsEncoder()
    {
        // u2netp is a real ONNX model with input.1 [1,3,320,320]: not a SAM encoder.
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(_u2net, Decoder));
        Assert.Contains("input.1", e.Message);
        Assert.Contains("[1,3,320,320]", e.Message);
        Assert.Contains("expected one input", e.Message);
    }

    [Fact]
    public void ModelWithWrongInputsAsDecoder()
    {
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(Encoder, _u2net));
        Assert.Contains("has no input 'image_embeddings'", e.Message);
        Assert.Contains("u2netp.onnx", e.Message);
    }

    [Fact]
    public void EncoderAndDecoderSwapped()
    {
        var e = Assert.Throws<SegModelException>(() => SamSession.Open(Decoder, Encoder));
        Assert.Contains("is not a SAM image encoder", e.Message);
    }
}

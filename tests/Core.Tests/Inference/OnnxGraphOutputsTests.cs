using Microsoft.ML.OnnxRuntime;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

public class OnnxGraphOutputsTests
{
    [Fact]
    public void ExposedIntermediateTensorBecomesAnOutput()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx"));
        using var before = new InferenceSession(bytes);
        // Pick an intermediate tensor of the graph: any node output that is not already a graph output.
        Assert.DoesNotContain("not_a_tensor", before.OutputMetadata.Keys);
        var edited = OnnxGraphOutputs.AddFloatOutputs(bytes, ["point_labels_float_copy_that_does_not_exist"], "fixture");
        // ONNX Runtime refuses an output that nothing produces: the edit really reached the graph.
        Assert.ThrowsAny<OnnxRuntimeException>(() => new InferenceSession(edited).Dispose());
        // Re-declaring an existing output keeps the model loadable and the output list intact.
        var same = OnnxGraphOutputs.AddFloatOutputs(bytes, ["iou_predictions"], "fixture");
        using var after = new InferenceSession(same);
        Assert.Contains("low_res_masks", after.OutputMetadata.Keys);
    }

    [Fact]
    public void MalformedModelsAreRefused()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx"));
        var e = Assert.Throws<SegModelException>(() => OnnxGraphOutputs.AddFloatOutputs(bytes.AsSpan(0, bytes.Length / 2), ["x"], "half.onnx"));
        Assert.Contains("half.onnx", e.Message);
        Assert.Throws<SegModelException>(() => OnnxGraphOutputs.AddFloatOutputs(new byte[] { 0x08, 0x07 }, ["x"], "nograph"));
        Assert.Throws<SegModelException>(() => OnnxGraphOutputs.AddFloatOutputs(new byte[] { 0xFF, 0xFF, 0xFF }, ["x"], "junk"));
    }
}

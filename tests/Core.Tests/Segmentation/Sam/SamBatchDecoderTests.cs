using Xunit;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Tests.Support;

namespace SegPlugins.Core.Tests.Segmentation.Sam;

/// <summary>Several prompts per decoder run, on the small generated decoders with the official tensor contract.</summary>
public class SamBatchDecoderTests
{
    private static SamDecoder Open(string file, List<string> notices) =>
        SamDecoder.Open(TestPaths.Fixture("models", file), file, new EngineOptions { Device = ExecutionDevice.Cpu, IntraOpThreads = 1, Notice = notices.Add });

    private static (float[] Embedding, float[] Coords, float[] Labels) Prompts(int prompts)
    {
        var rng = new Random(prompts);
        var embedding = new float[SamTensorNames.EmbeddingLength];
        for (int i = 0; i < embedding.Length; i++) embedding[i] = (float)(rng.NextDouble() * 2 - 1);
        var coords = new float[prompts * 4];
        var labels = new float[prompts * 2];
        for (int b = 0; b < prompts; b++)
        {
            coords[4 * b] = rng.Next(1024); coords[4 * b + 1] = rng.Next(768);
            labels[2 * b] = 1; labels[2 * b + 1] = SamTensorNames.LabelPadding;
        }
        return (embedding, coords, labels);
    }

    [Theory]
    [InlineData("sam_decoder_single.onnx")]
    [InlineData("sam_decoder_multi.onnx")]
    public void RunManyEqualsOneRunPerPrompt(string file)
    {
        var notices = new List<string>();
        using var decoder = Open(file, notices);
        var (embedding, coords, labels) = Prompts(5);
        var many = decoder.RunMany(embedding, coords, labels, 5, 1024, 768, default);
        Assert.Equal(5, many.Length);
        for (int b = 0; b < 5; b++)
        {
            var one = decoder.Run(embedding, coords[(4 * b)..(4 * b + 4)], labels[(2 * b)..(2 * b + 2)], null, 1024, 768, false, default);
            Assert.Equal(one.Scores.Length, many[b].Scores.Length);
            for (int i = 0; i < one.Scores.Length; i++) Assert.Equal(one.Scores[i], many[b].Scores[i], 1e-4);
            for (int k = 0; k < one.LowRes.Length; k++)
                for (int i = 0; i < one.LowRes[k].Length; i += 97) Assert.Equal(one.LowRes[k][i], many[b].LowRes[k][i], 1e-3);
        }
    }

    [Fact]
    public void FreeingThePromptBatchChangesOnlyTheDeclarations()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("models", "sam_decoder_single.onnx"));
        var model = Onnx.ModelProto.Parser.ParseFrom(SamBatchDecoder.FreePromptBatch(bytes, new MultimaskTaps("s", "m")));
        var original = Onnx.ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(original.Graph.Node, model.Graph.Node);
        Assert.Equal(original.Graph.Initializer, model.Graph.Initializer);
        foreach (var input in model.Graph.Input)
        {
            var first = input.Type.TensorType.Shape.Dim[0];
            var before = original.Graph.Input.Single(i => i.Name == input.Name).Type.TensorType.Shape.Dim[0];
            if (input.Name is "point_coords" or "point_labels") Assert.Equal("prompts", first.DimParam);
            else Assert.Equal(before, first);
        }
        Assert.Equal(original.Graph.Output.Select(o => o.Name).Concat(["s", "m"]), model.Graph.Output.Select(o => o.Name));
    }

    [Fact]
    public void MismatchedPromptArraysAreRefused()
    {
        using var decoder = Open("sam_decoder_single.onnx", []);
        var (embedding, coords, labels) = Prompts(3);
        var e = Assert.Throws<ArgumentException>(() => decoder.RunMany(embedding, coords, labels, 4, 1024, 768, default));
        Assert.Contains("4 prompts", e.Message);
    }
}

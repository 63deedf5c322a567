using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;

namespace SegPlugins.Core.Tests.Fixtures;

/// <summary>
/// Checks that the generated fixture models (tests/fixtures/models, made by make_models.py) run in
/// ONNX Runtime and agree with the numpy/PIL reference outputs committed next to them. If this fails,
/// engine conformance tests built on these fixtures cannot be trusted.
/// </summary>
public class FixtureModelTests
{
    // Reference values are computed in float64; the models run in float32.
    private const float Tolerance = 1e-4f;
    private static readonly float[] Mean = [123.675f, 116.28f, 103.53f];
    private static readonly float[] Std = [58.395f, 57.12f, 57.375f];

    private static string FixturePath(string relative) =>
        Path.Combine(AppContext.BaseDirectory, "fixtures", relative.Replace('/', Path.DirectorySeparatorChar));

    private static JsonElement Expected(string file = "models/expected.json") =>
        JsonDocument.Parse(File.ReadAllText(FixturePath(file))).RootElement;

    private static (float[] Rgb, int Width, int Height) LoadRgb(string relative)
    {
        using var image = Image.Load<Rgb24>(FixturePath(relative));
        var rgb = new float[image.Width * image.Height * 3];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
            {
                Rgb24 p = image[x, y];
                int i = (y * image.Width + x) * 3;
                rgb[i] = p.R; rgb[i + 1] = p.G; rgb[i + 2] = p.B;
            }
        return (rgb, image.Width, image.Height);
    }

    private static DenseTensor<float> NormalizePad(float[] rgb, int w, int h)
    {
        var t = new DenseTensor<float>([1, 3, 1024, 1024]);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    t[0, c, y, x] = (rgb[(y * w + x) * 3 + c] - Mean[c]) / Std[c];
        return t;
    }

    private static float[] Run(InferenceSession s, string output, params NamedOnnxValue[] inputs)
    {
        using var results = s.Run(inputs);
        return results.Single(r => r.Name == output).AsTensor<float>().ToArray();
    }

    private static Dictionary<string, float[]> RunAll(InferenceSession s, params NamedOnnxValue[] inputs)
    {
        using var results = s.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            float allowed = tol * Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed,
                $"{what}[{i}]: {actual[i]} vs expected {expected[i]}");
        }
    }

    /// <summary>Elements [.., ::step, ::step] of a [k, h, w] array.</summary>
    private static float[] Sample(float[] data, int k, int h, int w, int step)
    {
        int sh = (h + step - 1) / step, sw = (w + step - 1) / step;
        var r = new float[k * sh * sw];
        for (int c = 0; c < k; c++)
            for (int y = 0; y < sh; y++)
                for (int x = 0; x < sw; x++)
                    r[(c * sh + y) * sw + x] = data[(c * h + y * step) * w + x * step];
        return r;
    }

    private static float[] EncodeWithModel1(string resizedPng)
    {
        var (rgb, w, h) = LoadRgb(resizedPng);
        using var enc = new InferenceSession(FixturePath("models/sam_encoder_input_output.onnx"));
        return Run(enc, "output", NamedOnnxValue.CreateFromTensor("input", NormalizePad(rgb, w, h)));
    }

    [Fact]
    public void Encoders_AgreeWithReferenceAndEachOther()
    {
        JsonElement root = Expected();
        int[] sampleChannels = root.GetProperty("embedding_sample_channels").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        using var enc2 = new InferenceSession(FixturePath("models/sam_encoder_image_embeddings.onnx"));
        using var enc3 = new InferenceSession(FixturePath("models/sam_encoder_preprocess.onnx"));
        const int plane = 64 * 64;
        foreach (JsonElement img in root.GetProperty("images").EnumerateArray())
        {
            string name = img.GetProperty("name").GetString()!;
            string resized = img.GetProperty("resized").GetString()!;
            var (rgb, w, h) = LoadRgb(resized);
            Assert.Equal(img.GetProperty("resized_width").GetInt32(), w);
            Assert.Equal(img.GetProperty("resized_height").GetInt32(), h);

            float[] e1 = EncodeWithModel1(resized);
            Assert.Equal(256 * plane, e1.Length);
            AssertClose(Npy.Load(FixturePath(img.GetProperty("pooled").GetString()!)).Data, e1.AsSpan(0, 3 * plane), Tolerance, $"{name} pooled");
            float[] sample = Npy.Load(FixturePath(img.GetProperty("embedding_sample").GetString()!)).Data;
            for (int j = 0; j < sampleChannels.Length; j++)
                AssertClose(sample.AsSpan(j * plane, plane), e1.AsSpan(sampleChannels[j] * plane, plane), Tolerance, $"{name} channel {sampleChannels[j]}");

            float[] e2 = Run(enc2, "image_embeddings", NamedOnnxValue.CreateFromTensor("input_image", NormalizePad(rgb, w, h)));
            AssertClose(e1, e2, 1e-6f, $"{name} encoder 2");

            var hwc = new DenseTensor<float>(rgb, [h, w, 3]);
            float[] e3 = Run(enc3, "image_embeddings", NamedOnnxValue.CreateFromTensor("input_image", hwc));
            AssertClose(e1, e3, Tolerance, $"{name} encoder 3");
        }
    }

    [Fact]
    public void Decoders_AgreeWithReference()
    {
        JsonElement root = Expected();
        using var single = new InferenceSession(FixturePath("models/sam_decoder_single.onnx"));
        using var multi = new InferenceSession(FixturePath("models/sam_decoder_multi.onnx"));
        int lowStep = root.GetProperty("low_res_sample_step").GetInt32();
        int checkedPredictions = 0;
        foreach (JsonElement img in root.GetProperty("images").EnumerateArray())
        {
            string name = img.GetProperty("name").GetString()!;
            int w = img.GetProperty("width").GetInt32(), h = img.GetProperty("height").GetInt32();
            var embedding = new DenseTensor<float>(EncodeWithModel1(img.GetProperty("resized").GetString()!), [1, 256, 64, 64]);
            var lowResByPrompt = new Dictionary<string, (float[] Low, int Best)>();
            foreach (JsonElement p in img.GetProperty("predictions").EnumerateArray())
            {
                int k = p.GetProperty("k").GetInt32();
                string prompt = p.GetProperty("prompt").GetString()!;
                string what = $"{name} {prompt} k={k}";
                float[] coords = p.GetProperty("point_coords_1024").EnumerateArray().SelectMany(pt => pt.EnumerateArray()).Select(v => v.GetSingle()).ToArray();
                float[] labels = p.GetProperty("point_labels").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                var maskInput = new DenseTensor<float>([1, 1, 256, 256]);
                if (p.GetProperty("mask_input_from").ValueKind == JsonValueKind.String)
                {
                    var (prevLow, best) = lowResByPrompt[p.GetProperty("mask_input_from").GetString()! + k];
                    prevLow.AsSpan(best * 256 * 256, 256 * 256).CopyTo(maskInput.Buffer.Span);
                }
                var outputs = RunAll(k == 1 ? single : multi,
                    NamedOnnxValue.CreateFromTensor("image_embeddings", embedding),
                    NamedOnnxValue.CreateFromTensor("point_coords", new DenseTensor<float>(coords, [1, labels.Length, 2])),
                    NamedOnnxValue.CreateFromTensor("point_labels", new DenseTensor<float>(labels, [1, labels.Length])),
                    NamedOnnxValue.CreateFromTensor("mask_input", maskInput),
                    NamedOnnxValue.CreateFromTensor("has_mask_input", new DenseTensor<float>(new[] { p.GetProperty("has_mask_input").GetSingle() }, [1])),
                    NamedOnnxValue.CreateFromTensor("orig_im_size", new DenseTensor<float>(new float[] { h, w }, [2])));

                float[] iou = p.GetProperty("iou_predictions").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                AssertClose(iou, outputs["iou_predictions"], 1e-6f, $"{what} iou");
                float[] low = outputs["low_res_masks"];
                lowResByPrompt[prompt + k] = (low, p.GetProperty("best_mask").GetInt32());
                AssertClose(Npy.Load(FixturePath(p.GetProperty("low_res_sample").GetString()!)).Data,
                    Sample(low, k, 256, 256, lowStep), Tolerance, $"{what} low_res_sample");
                if (p.TryGetProperty("low_res_full", out JsonElement lowFull))
                    AssertClose(Npy.Load(FixturePath(lowFull.GetString()!)).Data, low, Tolerance, $"{what} low_res");

                float[] masks = outputs["masks"];
                Assert.Equal(k * h * w, masks.Length);
                if (p.TryGetProperty("masks", out JsonElement masksFile))
                {
                    AssertClose(Npy.Load(FixturePath(masksFile.GetString()!)).Data, masks, Tolerance, $"{what} masks");
                }
                else
                {
                    int step = p.GetProperty("masks_sample_step").GetInt32();
                    AssertClose(Npy.Load(FixturePath(p.GetProperty("masks_sample").GetString()!)).Data,
                        Sample(masks, k, h, w, step), Tolerance, $"{what} masks_sample");
                    int j = 0;
                    foreach (JsonElement png in p.GetProperty("masks_binary_png").EnumerateArray())
                    {
                        using var bin = Image.Load<L8>(FixturePath(png.GetString()!));
                        Assert.Equal((w, h), (bin.Width, bin.Height));
                        for (int y = 0; y < h; y++)
                            for (int x = 0; x < w; x++)
                            {
                                float logit = masks[(j * h + y) * w + x];
                                bool on = bin[x, y].PackedValue == 255;
                                // A logit within float noise of the threshold may fall either way.
                                Assert.True(on == logit > 0 || Math.Abs(logit) < 1e-4f, $"{what} mask {j} at ({x},{y}): logit {logit}");
                            }
                        j++;
                    }
                }
                checkedPredictions++;
            }
        }
        Assert.True(checkedPredictions >= 10, $"only {checkedPredictions} predictions checked");
    }

    [Theory]
    [InlineData("sam_encoder_input_output.onnx", "input", "output")]
    [InlineData("sam_encoder_image_embeddings.onnx", "input_image", "image_embeddings")]
    [InlineData("sam_encoder_preprocess.onnx", "input_image", "image_embeddings")]
    [InlineData("sam_decoder_single.onnx", "image_embeddings,point_coords,point_labels,mask_input,has_mask_input,orig_im_size", "masks,iou_predictions,low_res_masks")]
    [InlineData("sam_decoder_multi.onnx", "image_embeddings,point_coords,point_labels,mask_input,has_mask_input,orig_im_size", "masks,iou_predictions,low_res_masks")]
    [InlineData("decoder_missing_output.onnx", "image_embeddings,point_coords,point_labels,mask_input,has_mask_input,orig_im_size", "masks,iou_predictions")]
    [InlineData("wrong_io.onnx", "foo", "bar")]
    [InlineData("fastsam_tiny.onnx", "images", "output0,output1")]
    [InlineData("clip_text_tiny.onnx", "input_ids", "text_embeds")]
    [InlineData("clip_image_tiny.onnx", "pixel_values", "image_embeds")]
    public void Models_DeclareTheirDocumentedNames(string file, string inputs, string outputs)
    {
        using var s = new InferenceSession(FixturePath("models/" + file));
        Assert.Equal(inputs.Split(','), s.InputMetadata.Keys.ToArray());
        Assert.Equal(outputs.Split(','), s.OutputMetadata.Keys.ToArray());
    }

    [Fact]
    public void Encoders_DeclareDocumentedShapes()
    {
        using var e1 = new InferenceSession(FixturePath("models/sam_encoder_input_output.onnx"));
        Assert.Equal([-1, 3, 1024, 1024], e1.InputMetadata["input"].Dimensions);
        Assert.Equal("batch_size", e1.InputMetadata["input"].SymbolicDimensions[0]);
        using var e3 = new InferenceSession(FixturePath("models/sam_encoder_preprocess.onnx"));
        Assert.Equal([-1, -1, 3], e3.InputMetadata["input_image"].Dimensions);
        Assert.Equal([1, 256, 64, 64], e3.OutputMetadata["image_embeddings"].Dimensions);
        using var wrong = new InferenceSession(FixturePath("models/wrong_io.onnx"));
        Assert.Equal([1, 3, 224, 224], wrong.InputMetadata["foo"].Dimensions);
        Assert.Equal([1, 1000], wrong.OutputMetadata["bar"].Dimensions);
    }

    [Fact]
    public void FastSam_OutputsAreTheDocumentedConstantsWhateverTheInput()
    {
        JsonElement root = Expected("models/expected_fastsam.json");
        using var s = new InferenceSession(FixturePath(root.GetProperty("model").GetString()!));
        int size = root.GetProperty("input_size").GetInt32();
        Assert.Equal([1, 3, size, size], s.InputMetadata["images"].Dimensions);
        IReadOnlyDictionary<string, string> meta = s.ModelMetadata.CustomMetadataMap;
        Assert.Equal($"[{size}, {size}]", meta["imgsz"]);
        Assert.Equal("segment", meta["task"]);
        Assert.Equal("{0: 'object'}", meta["names"]);

        Npy out0 = Npy.Load(FixturePath(root.GetProperty("output0").GetString()!));
        Npy out1 = Npy.Load(FixturePath(root.GetProperty("output1").GetString()!));
        Assert.Equal([1, 37, 84], out0.Shape);
        Assert.Equal([1, 32, size / 4, size / 4], out1.Shape);
        var random = new Random(7);
        foreach (bool zero in new[] { true, false })
        {
            var input = new DenseTensor<float>([1, 3, size, size]);
            if (!zero)
                for (int i = 0; i < input.Length; i++) input.Buffer.Span[i] = (float)random.NextDouble();
            var outputs = RunAll(s, NamedOnnxValue.CreateFromTensor("images", input));
            AssertClose(out0.Data, outputs["output0"], 1e-6f, "output0");
            AssertClose(out1.Data, outputs["output1"], 1e-6f, "output1");
        }

        Npy masks = Npy.Load(FixturePath(root.GetProperty("masks").GetString()!));
        int w = root.GetProperty("source_width").GetInt32(), h = root.GetProperty("source_height").GetInt32();
        Assert.Equal([root.GetProperty("detections").GetArrayLength(), h, w], masks.Shape);
        Assert.All(masks.Data, v => Assert.True(v == 0 || v == 1));
    }

    [Fact]
    public void Clip_TextAndImageModelsMatchReference()
    {
        JsonElement root = Expected("models/expected_clip.json");
        using var text = new InferenceSession(FixturePath(root.GetProperty("text_model").GetString()!));
        using var image = new InferenceSession(FixturePath(root.GetProperty("image_model").GetString()!));
        float[] mean = root.GetProperty("clip_mean").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        float[] std = root.GetProperty("clip_std").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        var imageEmbeds = new List<(string Name, float[] Embed)>();
        foreach (JsonElement crop in root.GetProperty("crops").EnumerateArray())
        {
            int[] rgb = crop.GetProperty("rgb").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var t = new DenseTensor<float>([1, 3, 224, 224]);
            for (int c = 0; c < 3; c++)
                t.Buffer.Span.Slice(c * 224 * 224, 224 * 224).Fill((rgb[c] / 255f - mean[c]) / std[c]);
            float[] e = Run(image, "image_embeds", NamedOnnxValue.CreateFromTensor("pixel_values", t));
            AssertClose(crop.GetProperty("image_embeds").EnumerateArray().Select(v => v.GetSingle()).ToArray(), e, Tolerance, crop.GetProperty("name").GetString()!);
            imageEmbeds.Add((crop.GetProperty("name").GetString()!, e));
        }

        foreach (JsonElement tc in root.GetProperty("texts").EnumerateArray())
        {
            var ids = new long[77];
            Array.Fill(ids, tc.GetProperty("pad_id").GetInt64());
            int i = 0;
            foreach (JsonElement id in tc.GetProperty("input_ids_prefix").EnumerateArray()) ids[i++] = id.GetInt64();
            float[] e = Run(text, "text_embeds", NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(ids, [1, 77])));
            AssertClose(tc.GetProperty("text_embeds").EnumerateArray().Select(v => v.GetSingle()).ToArray(), e, 1e-6f, tc.GetProperty("name").GetString()!);
            string best = imageEmbeds.MaxBy(x => Cosine(e, x.Embed)).Name;
            Assert.Equal(tc.GetProperty("best_crop").GetString(), best);
        }
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return dot / Math.Sqrt(na * nb);
    }
}

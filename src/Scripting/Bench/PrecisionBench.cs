using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Bench;

/// <summary>The int8 encoder beside the float32 one in <c>segplug bench</c> (keys <c>encoder_int8_ms</c>, <c>ort_encoder_int8_ms</c>).</summary>
internal static class PrecisionBench
{
    /// <summary>
    /// The int8 variant of the benchmarked float32 encoder (made on first use) as a file for ONNX Runtime alone, or null
    /// when the benchmarked session is not float32 or not a SAM model.
    /// </summary>
    public static async Task<string?> Int8EncoderPathAsync(ModelArgs model, TextWriter stderr, CancellationToken ct)
    {
        if (model.Precision != ModelPrecision.Fp32) return null;
        string path, cache;
        string? sha = null;
        if (model.EncoderPath is not null)
        {
            path = model.EncoderPath;
            cache = ModelStore.DefaultCacheDirectory();
        }
        else
        {
            var store = ModelStore.CreateDefault();
            var files = await store.EnsureAsync(model.ModelId ?? ModelIds.Default, null, ct);
            if (files.Entry.Family != ModelFamily.Sam) return null;
            path = files.PathOf(ModelRole.Encoder);
            sha = files.Entry.File(ModelRole.Encoder).Sha256;
            cache = store.CacheDirectory;
        }
        return new QuantizedModelCache(cache).Ensure(path, model.DisplayName + " encoder", sha, m => Notices.Once(stderr, m), ct).Path;
    }

    /// <summary>An engine session with the int8 encoder and no embedding cache, so that every timing really encodes.</summary>
    public static async Task<SamSession> OpenUncachedInt8Async(ModelArgs model, TextWriter stderr, CancellationToken ct)
    {
        var options = model.Options(stderr) with { Precision = ModelPrecision.Int8, EmbeddingCacheBytes = 0 };
        return model.EncoderPath is not null
            ? SamSession.Open(model.EncoderPath, model.DecoderPath!, options)
            : await SamSession.OpenAsync(model.ModelId ?? ModelIds.Default, options, null, ct);
    }
}

using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary>The int8 encoder beside the float32 one in <c>segplug bench</c> (keys <c>encoder_int8_ms</c>, <c>ort_encoder_int8_ms</c>).</summary>
internal static class PrecisionBench
{
    /// <summary>The int8 variant of the benchmarked float32 encoder (made on first use), or null when the session is not float32.</summary>
    public static async Task<SamEncoder?> OpenInt8Async(ModelArgs model, TextWriter stderr, CancellationToken ct)
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
        var options = model.Options(stderr) with { Precision = ModelPrecision.Int8 };
        var int8 = new QuantizedModelCache(cache).Ensure(path, model.DisplayName + " encoder", sha, options.Notice, ct);
        return SamEncoder.Open(int8.Path, model.DisplayName + " int8 encoder", options);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;
using SegPlugins.Scripting.Files;

namespace SegPlugins.Scripting.Bench;

/// <summary>
/// The body of <c>segplug bench</c>: medians of engine runs through Core's public API, each interleaved with the same
/// work done by ONNX Runtime alone on the published model files (<see cref="RawOnnx"/>), in one process so that the
/// ratios are comparable.
/// </summary>
internal static class EngineBench
{
    public sealed record Settings(ModelArgs Model, string Image, int Repeat, bool Json, bool Everything, string? JsonOut);

    public static async Task<int> RunAsync(Settings s, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var (model, image, repeat) = (s.Model, s.Image, s.Repeat);
        var memory = new PhaseMemory(stderr);
        var (encoderPath, decoderPath) = await ModelFilesAsync(model, ct);
        // The bench keeps several encoder sessions open and runs one at a time: they share one arena.
        model = model with { ShareRunMemory = true };
        // An engine session without an embedding cache, so that each encoder timing really encodes (opened first: it
        // registers the shared arena that the raw sessions use too).
        var uncached = model.EncoderPath is not null
            ? SamSession.Open(model.EncoderPath, model.DecoderPath!, model.Options(stderr) with { EmbeddingCacheBytes = 0 })
            : await SamSession.OpenAsync(model.ModelId ?? ModelIds.Default, model.Options(stderr) with { EmbeddingCacheBytes = 0 }, null, ct);
        using var raw = new RawOnnx(encoderPath, decoderPath, model.Threads, shareRunMemory: true);
        var results = new Dictionary<string, double>();
        var first = ImageIO.Load(image);
        var sizes = new[] { ("1mp", 1155, 866), ("12mp", 4000, 3000) };
        bool rawEncoder = raw.TakesNormalizedTensor;
        // The raw embeddings the raw clicks run on, made while the raw encoder is open (it is closed with the encoder phase).
        var rawEmbeddings = new Dictionary<string, float[]?>();

        // Phase 1, encoders: each session keeps an arena sized for the encoder's activations, so only the sessions this
        // phase times are open, and they are closed before the next (see docs/performance.md, "The bench's memory").
        using (uncached)
        {
            stderr.WriteLine($"bench: {model.DisplayName} on {uncached.Device}, {Environment.ProcessorCount} cores, {repeat} runs each");

            // Encoder: file decode + preprocessing + run, against the raw run on the prepared tensor.
            var t = SamTransform.For(first.Width, first.Height);
            var chw = new float[3 * SamTransform.ModelSize * SamTransform.ModelSize];
            SamPreprocessor.Normalize(SamPreprocessor.ResizeToRgb(first, t), t, chw);
            uncached.Embed(first, null, ct); // warm-up
            // The int8 encoder made from the same float32 file, timed in the same loop.
            string? int8Path = await PrecisionBench.Int8EncoderPathAsync(model, stderr, ct);
            using var uncachedInt8 = int8Path is null ? null : await PrecisionBench.OpenUncachedInt8Async(model, stderr, ct);
            using var rawInt8 = int8Path is null ? null : new RawOnnx(int8Path, decoderPath, model.Threads, shareRunMemory: true);
            uncachedInt8?.Embed(first, null, ct);
            var enc = new List<double>();
            var ortEnc = new List<double>();
            var encInt8 = new List<double>();
            var ortEncInt8 = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                // Interleave the measurements so that machine noise hits all alike.
                enc.Add(Time(() => uncached.Embed(ImageIO.Load(image), null, ct)));
                if (rawEncoder) ortEnc.Add(Time(() => raw.Encode(chw)));
                if (uncachedInt8 is null || rawInt8 is null) continue;
                encInt8.Add(Time(() => uncachedInt8.Embed(ImageIO.Load(image), null, ct)));
                if (rawEncoder) ortEncInt8.Add(Time(() => rawInt8.Encode(chw)));
            }
            results["encoder_ms"] = Median(enc);
            if (rawEncoder) results["ort_encoder_ms"] = Median(ortEnc);
            if (encInt8.Count > 0) results["encoder_int8_ms"] = Median(encInt8);
            if (ortEncInt8.Count > 0) results["ort_encoder_int8_ms"] = Median(ortEncInt8);
            foreach (var (key, w, h) in sizes)
                rawEmbeddings[key] = rawEncoder ? raw.Encode(Prepare(ScaleNearest(first, w, h), SamTransform.For(w, h))) : null;
            memory.Mark("encoder phase");
        }
        raw.CloseEncoder();
        OneShotMemory.CollectNow();

        // Phase 2, clicks, segment-everything and the embedding cache: one engine session and the raw decoder.
        using var session = await model.OpenSamAsync(stderr, ct);
        // The same clicks with the int8 decoder (made on first use), alternating with the float32 one.
        using var int8Decoder = model.DecoderPrecision == ModelPrecision.Fp32 && model.EncoderPath is null
            ? await (model with { DecoderPrecision = ModelPrecision.Int8 }).OpenSamAsync(stderr, ct) : null;
        // Clicks at 1 MP and 12 MP: the sample scaled up (nearest) so that the embedding is real.
        foreach (var (key, w, h) in sizes)
        {
            var big = ScaleNearest(first, w, h);
            var emb = session.Embed(big, null, ct);
            var bigT = SamTransform.For(w, h);
            var rawEmbedding = rawEmbeddings[key];
            var prompt = PromptSet.FromPoints(new PointPrompt(w * 0.5f, h * 0.55f));
            session.Predict(emb, prompt, null, ct);
            var clicks = new List<double>();
            var clicksInt8 = new List<double>();
            int8Decoder?.Predict(emb, prompt, null, ct);
            var ortDec = new List<double>();
            var inGraph = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                clicks.Add(Time(() => session.Predict(emb, prompt, null, ct)));
                if (int8Decoder is not null) clicksInt8.Add(Time(() => int8Decoder.Predict(emb, prompt, null, ct)));
                if (rawEmbedding is null) continue;
                ortDec.Add(Time(() => raw.Decode(rawEmbedding, prompt, bigT, fullMasks: false)));
                if (raw.HasMasksOutput) inGraph.Add(Time(() => raw.Decode(rawEmbedding, prompt, bigT, fullMasks: true)));
            }
            results["click_ms_" + key] = Median(clicks);
            if (clicksInt8.Count > 0) results["click_int8_decoder_ms_" + key] = Median(clicksInt8);
            if (key == "1mp" && ortDec.Count > 0) results["ort_decoder_ms"] = Median(ortDec);
            if (key == "12mp")
            {
                big.Pixels[0] ^= 1; // a different image of the same size, so the cache is not hit before timing
                session.SetImage(big, ct);
                results["cached_set_image_ms_12mp"] = Median(Enumerable.Range(0, Math.Max(repeat, 5)).Select(_ => Time(() => session.SetImage(big, ct))).ToList());
            }
            if (inGraph.Count > 0) results["ingraph_click_ms_" + key] = Median(inGraph);
            if (key == "1mp" && s.Everything) EverythingBench.Everything(session, raw, rawEmbedding, big, repeat, results, ct);
        }

        OneShotBench.Run(first, ScaleNearest, ChildModelArgs(model), repeat, results, stderr, ct);

        // SetImage of an image already in the cache: hashing plus lookup.
        session.SetImage(first, ct);
        results["cached_set_image_ms"] = Median(Enumerable.Range(0, Math.Max(repeat, 5)).Select(_ => Time(() => session.SetImage(first, ct))).ToList());
        memory.Mark("click phase");
        results["peak_working_set_mb"] = memory.PeakMb;

        foreach (var (k, v) in results)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-24} {v,10:0.00}"));
        if (results.TryGetValue("ort_encoder_ms", out var ortEncoder))
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"encoder / ort_encoder",-24} {results["encoder_ms"] / ortEncoder,10:0.000}"));
        if (results.TryGetValue("ort_encoder_int8_ms", out var i8) && results.TryGetValue("ort_encoder_ms", out var f32))
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ort_encoder_int8 / fp32",-24} {i8 / f32,10:0.000}"));
        if (results.TryGetValue("ort_decoder_ms", out var ortDecoder))
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"click_1mp / ort_decoder",-24} {results["click_ms_1mp"] / ortDecoder,10:0.000}"));
        if (s.Json)
        {
            var text = JsonSerializer.Serialize(results.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 3)), new JsonSerializerOptions { WriteIndented = true });
            if (s.JsonOut is null) stdout.WriteLine(text);
            else AtomicWrite.Text(s.JsonOut, text + Environment.NewLine);
        }
        return 0;
    }

    private static async Task<(string Encoder, string Decoder)> ModelFilesAsync(ModelArgs model, CancellationToken ct)
    {
        if (model.EncoderPath is not null) return (model.EncoderPath, model.DecoderPath!);
        var files = await ModelStore.CreateDefault().EnsureAsync(model.ModelId ?? ModelIds.Default, null, ct);
        return (files.PathOf(ModelRole.Encoder), files.PathOf(ModelRole.Decoder));
    }

    private static float[] Prepare(BgraImage image, SamTransform t)
    {
        var chw = new float[3 * SamTransform.ModelSize * SamTransform.ModelSize];
        SamPreprocessor.Normalize(SamPreprocessor.ResizeToRgb(image, t), t, chw);
        return chw;
    }

    /// <summary>The process's working set and its high-water mark at the end of each phase, on stderr.</summary>
    private sealed class PhaseMemory(TextWriter stderr)
    {
        public double PeakMb
        {
            get
            {
                using var p = Process.GetCurrentProcess();
                return p.PeakWorkingSet64 / 1048576.0;
            }
        }

        public void Mark(string phase)
        {
            using var p = Process.GetCurrentProcess();
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bench: after the {phase}: working set {p.WorkingSet64 / 1048576.0:0} MB, peak {p.PeakWorkingSet64 / 1048576.0:0} MB"));
        }
    }

    internal static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>The model options of this run as arguments, passed on to the one-shot child processes.</summary>
    private static List<string> ChildModelArgs(ModelArgs model)
    {
        var args = new List<string>();
        if (model.ModelId is not null) args.AddRange(["--model", model.ModelId]);
        if (model.EncoderPath is not null) args.AddRange(["--encoder", model.EncoderPath, "--decoder", model.DecoderPath!]);
        args.AddRange(["--device", new DeviceSpec(model.Device, model.DeviceId).ToString(), "--precision", model.Precision.Name()]);
        if (model.Threads is { } t) args.AddRange(["--threads", t.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }

    internal static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }

    private static BgraImage ScaleNearest(BgraImage src, int w, int h)
    {
        var dst = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
        {
            var s = src.RowUInt32(Math.Min(src.Height - 1, (int)((long)y * src.Height / h)));
            var d = dst.RowUInt32(y);
            for (int x = 0; x < w; x++) d[x] = s[Math.Min(src.Width - 1, (int)((long)x * src.Width / w))];
        }
        return dst;
    }
}

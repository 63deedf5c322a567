using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SegPlugins.Core;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug bench</c>: medians of repeated engine runs, in one process so ratios are comparable.</summary>
public static class BenchCommand
{
    public const string Usage = """
        segplug bench [--model ID | --encoder E --decoder D] [--image IMG] [--repeat N] [--json [OUT.json]]
          Medians of N runs (default 7) of the encoder and of clicks at 1 MP and 12 MP; segment-everything at 1 MP
          (16 points per side, at most 3 runs; --no-everything skips it) and FastSAM decoding on synthetic outputs.
        segplug bench long-run [--images N] [--recipe R.csx] [--jobs N] [--every N] [--size WxH] [--csv OUT.csv]
          Runs N generated, all-different images (default 1000) through a recipe (default: a u2netp cut-out) and
          samples working set and managed heap every --every images; prints the curve and its slope.
        """;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (argv.Length > 0 && argv[0] == "long-run") return await LongRunBench.RunAsync(argv[1..], stdout, stderr, ct);
        var args = new ArgReader(argv, new HashSet<string> { "--json", "--no-everything" });
        var model = ModelArgs.Read(args);
        string image = args.Get("--image") ?? DefaultSample();
        int repeat = args.GetInt("--repeat", 7, 1, 1000);
        bool json = args.Flag("--json");
        bool everything = !args.Flag("--no-everything");
        string? jsonOut = args.Positional.Count > 0 ? args.Positional[0] : null;
        args.RejectUnknown();

        using var session = await model.OpenSamAsync(stderr, ct);
        var results = new Dictionary<string, double>();
        stderr.WriteLine($"bench: {model.DisplayName} on {session.Device}, {Environment.ProcessorCount} cores, {repeat} runs each");

        // Encoder: file decode + preprocessing + run, against the raw run on the prepared tensor.
        var first = ImageIO.Load(image);
        var t = SamTransform.For(first.Width, first.Height);
        var chw = new float[3 * 1024 * 1024];
        SamPreprocessor.Normalize(SamPreprocessor.ResizeToRgb(first, t), t, chw);
        bool raw = session.EncoderLayout == SamEncoder.InputLayout.NormalizedNchw;
        session.Encoder.Encode(first, t, ct); // warm-up
        var enc = new List<double>();
        var ortEnc = new List<double>();
        for (int i = 0; i < repeat; i++)
        {
            // Interleave the two measurements so that machine noise hits both alike.
            enc.Add(Time(() => { var img = ImageIO.Load(image); session.Encoder.Encode(img, SamTransform.For(img.Width, img.Height), ct); }));
            if (raw) ortEnc.Add(Time(() => session.Encoder.RunNormalized(chw, ct)));
        }
        results["encoder_ms"] = Median(enc);
        if (raw) results["ort_encoder_ms"] = Median(ortEnc);

        // The in-graph upscaling needs the decoder as published (its masks output), not the multi-mask view.
        using var plainDecoder = SamDecoder.Open(session.Decoder.Path, "decoder (as published)", model.Options(stderr));

        // Clicks at 1 MP and 12 MP: the sample scaled up (nearest) so that the embedding is real.
        foreach (var (key, w, h) in new[] { ("1mp", 1155, 866), ("12mp", 4000, 3000) })
        {
            var big = ScaleNearest(first, w, h);
            var emb = session.Embed(big, null, ct);
            var prompt = PromptSet.FromPoints(new PointPrompt(w * 0.5f, h * 0.55f));
            session.Predict(emb, prompt, null, ct);
            var clicks = new List<double>();
            var ortDec = new List<double>();
            var inGraph = new List<double>();
            SamSession.BuildPromptTensors(prompt, emb.Transform, out var coords, out var labels);
            for (int i = 0; i < repeat; i++)
            {
                clicks.Add(Time(() => session.Predict(emb, prompt, null, ct)));
                ortDec.Add(Time(() => session.Decoder.Run(emb.Data, coords, labels, null, w, h, false, ct)));
                if (plainDecoder.CanUpscaleInGraph)
                    inGraph.Add(Time(() =>
                    {
                        var r = plainDecoder.Run(emb.Data, coords, labels, null, w, h, true, ct);
                        var m = new byte[r.FullMasks![0].Length];
                        var src = r.FullMasks[0];
                        for (int k = 0; k < m.Length; k++) m[k] = src[k] > 0 ? (byte)255 : (byte)0;
                    }));
            }
            results["click_ms_" + key] = Median(clicks);
            if (key == "1mp") results["ort_decoder_ms"] = Median(ortDec);
            if (key == "12mp")
            {
                big.Pixels[0] ^= 1; // a different image of the same size, so the cache is not hit before timing
                session.SetImage(big, ct);
                results["cached_set_image_ms_12mp"] = Median(Enumerable.Range(0, Math.Max(repeat, 5)).Select(_ => Time(() => session.SetImage(big, ct))).ToList());
            }
            if (inGraph.Count > 0) results["ingraph_click_ms_" + key] = Median(inGraph);
            if (key == "1mp" && everything) EverythingBench.Everything(session, big, repeat, results, ct);
        }
        EverythingBench.FastSamDecode(repeat, results, ct);

        // SetImage of an image already in the cache: hashing plus lookup.
        session.SetImage(first, ct);
        results["cached_set_image_ms"] = Median(Enumerable.Range(0, Math.Max(repeat, 5)).Select(_ => Time(() => session.SetImage(first, ct))).ToList());
        using (var p = Process.GetCurrentProcess())
        {
            p.Refresh();
            results["peak_working_set_mb"] = p.PeakWorkingSet64 / 1048576.0;
        }

        foreach (var (k, v) in results)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{k,-24} {v,10:0.00}"));
        if (raw)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"encoder / ort_encoder",-24} {results["encoder_ms"] / results["ort_encoder_ms"],10:0.000}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"click_1mp / ort_decoder",-24} {results["click_ms_1mp"] / results["ort_decoder_ms"],10:0.000}"));
        if (json)
        {
            var text = JsonSerializer.Serialize(results.ToDictionary(kv => kv.Key, kv => Math.Round(kv.Value, 3)), new JsonSerializerOptions { WriteIndented = true });
            if (jsonOut is null) stdout.WriteLine(text);
            else Core.IO.AtomicFile.WriteAllText(jsonOut, text + Environment.NewLine);
        }
        return 0;
    }

    internal static string DefaultSample()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "samples", "chelsea.png");
                if (File.Exists(p)) return p;
            }
        }
        throw new SegArgumentException("--image", "no image given and samples/chelsea.png was not found");
    }

    private static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
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

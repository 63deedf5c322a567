using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SegPlugins.Core;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks.Internal;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug bench</c>: medians of repeated engine runs, in one process so ratios are comparable.</summary>
public static class BenchCommand
{
    public sealed record Options(ModelArgs Model, string? Image, int Repeat, bool Json, string? JsonOut, bool Everything);

    public static Command Create()
    {
        var model = new ModelOptions();
        var image = CliOptions.InputFile("--image", "IMG", "the photo to time (default: samples/chelsea.png)");
        var repeat = CliOptions.Int("--repeat", "N", "runs per measurement (medians are reported)", 7, 1, 1000);
        var json = new Option<string>("--json")
        {
            Description = "print the figures as JSON, or write them to OUT.json",
            HelpName = "OUT.json",
            Arity = ArgumentArity.ZeroOrOne,
        };
        json.Validators.Add(CliOptions.NotAnOption);
        var noEverything = CliOptions.Flag("--no-everything", "skip the segment-everything timing");
        var command = new Command("bench", """
            Measure the engine: medians of N runs of the encoder and of clicks at 1 MP and 12 MP; segment-everything at
            1 MP (16 points per side, at most 3 runs) and FastSAM decoding on synthetic outputs.
            """)
        { image, repeat, json, noEverything };
        model.AddTo(command);
        command.Subcommands.Add(LongRunBench.Create());
        command.SetAction((p, ct) => RunAsync(new Options(model.Read(p), p.GetValue(image), p.GetValue(repeat),
            p.GetResult(json) is not null, p.GetValue(json), !p.GetValue(noEverything)), CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        var model = o.Model;
        string image = o.Image ?? DefaultSample();
        int repeat = o.Repeat;
        bool json = o.Json;
        bool everything = o.Everything;
        string? jsonOut = o.JsonOut;

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

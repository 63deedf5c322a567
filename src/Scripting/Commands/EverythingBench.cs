using System.Diagnostics;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Core.Segmentation.FastSam;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Commands;

/// <summary>Extra <c>segplug bench</c> keys: segment-everything throughput and FastSAM decoding without the network.</summary>
internal static class EverythingBench
{
    /// <summary>Everything mode on a prepared image (its embedding cached first, so only the prompt work is timed).</summary>
    public static void Everything(SamSession session, BgraImage image, int repeat, Dictionary<string, double> results, CancellationToken ct)
    {
        session.Embed(image, null, ct);
        foreach (int side in new[] { 16 })
        {
            var options = new EverythingOptions { PointsPerSide = side };
            var total = new List<double>();
            var perSecond = new List<double>();
            var runMs = new List<double>();
            int count = 0;
            for (int i = 0; i < Math.Max(1, Math.Min(repeat, 3)); i++)
            {
                var r = EverythingGenerator.Generate(session, image, options, null, ct);
                total.Add(r.Elapsed.TotalMilliseconds);
                perSecond.Add(r.Masks.Count / r.Elapsed.TotalSeconds);
                runMs.Add(r.Elapsed.TotalMilliseconds / r.DecoderRuns);
                count = r.Masks.Count;
            }
            results[$"everything_{side}pps_1mp_ms"] = BenchCommand.Median(total);
            results[$"everything_{side}pps_masks_per_s"] = BenchCommand.Median(perSecond);
            results[$"everything_{side}pps_ms_per_point"] = BenchCommand.Median(runMs);
            results[$"everything_{side}pps_masks"] = count;
        }
        // One decoder run alone, for the share of the network in the above.
        var emb = session.Embed(image, null, ct);
        SamSession.BuildPromptTensors(PromptSet.FromPoints(new PointPrompt(image.Width / 2f, image.Height / 2f)), emb.Transform, out var coords, out var labels);
        var dec = new List<double>();
        for (int i = 0; i < Math.Max(repeat, 5); i++)
        {
            var sw = Stopwatch.StartNew();
            session.Decoder.Run(emb.Data, coords, labels, null, image.Width, image.Height, false, ct);
            dec.Add(sw.Elapsed.TotalMilliseconds);
        }
        results["everything_decoder_run_ms"] = BenchCommand.Median(dec);
    }

    /// <summary>
    /// FastSAM post-processing alone on synthetic outputs of the real model's size (1024 input: 21504 anchors,
    /// 32x256x256 prototypes) for a 1 MP source: 60 objects above the confidence threshold with duplicates.
    /// </summary>
    public static void FastSamDecode(int repeat, Dictionary<string, double> results, CancellationToken ct)
    {
        const int anchors = 21504, nm = 32, rows = 4 + 1 + nm, ps = 256;
        var rng = new Random(1);
        var head = new float[rows * anchors];
        for (int a = 0; a < anchors; a++)
        {
            float cx = rng.NextSingle() * 1024, cy = 128 + rng.NextSingle() * 768, w = 20 + rng.NextSingle() * 300, h = 20 + rng.NextSingle() * 300;
            head[a] = cx; head[anchors + a] = cy; head[2 * anchors + a] = w; head[3 * anchors + a] = h;
            head[4 * anchors + a] = a % 300 == 0 ? 0.5f + rng.NextSingle() * 0.5f : rng.NextSingle() * 0.3f;
            for (int k = 0; k < nm; k++) head[(5 + k) * anchors + a] = rng.NextSingle() * 2 - 1;
        }
        var protos = new float[nm * ps * ps];
        for (int i = 0; i < protos.Length; i++) protos[i] = rng.NextSingle() * 4 - 2;
        var lb = Letterbox.For(1155, 866, 1024);
        var times = new List<double>();
        int found = 0;
        for (int i = 0; i < Math.Max(repeat, 3); i++)
        {
            ct.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            var r = FastSamSession.Decode(head, anchors, 1, nm, protos, ps, ps, lb, FastSamOptions.Default, ct);
            times.Add(sw.Elapsed.TotalMilliseconds);
            found = r.Detections.Count;
        }
        results["fastsam_decode_ms_1mp"] = BenchCommand.Median(times);
        results["fastsam_decode_masks"] = found;
    }
}

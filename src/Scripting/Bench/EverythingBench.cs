using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Bench;

/// <summary>Extra <c>segplug bench</c> keys: segment-everything throughput, and one decoder run alone for comparison.</summary>
internal static class EverythingBench
{
    /// <summary>Everything mode on a prepared image (its embedding cached first, so only the prompt work is timed).</summary>
    public static void Everything(SamSession session, RawOnnx raw, float[]? rawEmbedding, BgraImage image, int repeat, Dictionary<string, double> results, CancellationToken ct)
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
            results[$"everything_{side}pps_1mp_ms"] = EngineBench.Median(total);
            results[$"everything_{side}pps_masks_per_s"] = EngineBench.Median(perSecond);
            results[$"everything_{side}pps_ms_per_point"] = EngineBench.Median(runMs);
            results[$"everything_{side}pps_masks"] = count;
        }
        // One decoder run alone, for the share of the network in the above.
        if (rawEmbedding is null) return;
        var prompt = PromptSet.FromPoints(new PointPrompt(image.Width / 2f, image.Height / 2f));
        var t = SamTransform.For(image.Width, image.Height);
        var dec = new List<double>();
        for (int i = 0; i < Math.Max(repeat, 5); i++)
            dec.Add(EngineBench.Time(() => raw.Decode(rawEmbedding, prompt, t, fullMasks: false)));
        results["everything_decoder_run_ms"] = EngineBench.Median(dec);
    }
}

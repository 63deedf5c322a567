using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Everything;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Bench;

/// <summary>Extra <c>segplug bench</c> keys: segment-everything throughput (batched and one prompt per run), and one decoder run alone for comparison.</summary>
internal static class EverythingBench
{
    /// <summary>Everything mode on a prepared image (its embedding cached first, so only the prompt work is timed).</summary>
    public static void Everything(SamSession session, RawOnnx raw, float[]? rawEmbedding, BgraImage image, int repeat, Dictionary<string, double> results, CancellationToken ct)
    {
        session.Embed(image, null, ct);
        // 16 points per side: batched runs (the default) and one prompt per run, alternating, for the ratio.
        var total = new List<double>();
        var single = new List<double>();
        var perSecond = new List<double>();
        var runMs = new List<double>();
        int count = 0;
        for (int i = 0; i < Math.Max(1, Math.Min(repeat, 3)); i++)
        {
            var r = EverythingGenerator.Generate(session, image, new EverythingOptions { PointsPerSide = 16 }, null, ct);
            total.Add(r.Elapsed.TotalMilliseconds);
            perSecond.Add(r.Masks.Count / r.Elapsed.TotalSeconds);
            runMs.Add(r.Elapsed.TotalMilliseconds / r.DecoderRuns);
            count = r.Masks.Count;
            single.Add(EverythingGenerator.Generate(session, image, new EverythingOptions { PointsPerSide = 16, PromptsPerRun = 1 }, null, ct).Elapsed.TotalMilliseconds);
        }
        results["everything_16pps_1mp_ms"] = EngineBench.Median(total);
        results["everything_16pps_masks_per_s"] = EngineBench.Median(perSecond);
        results["everything_16pps_ms_per_point"] = EngineBench.Median(runMs);
        results["everything_16pps_masks"] = count;
        results["everything_16pps_one_prompt_per_run_ms"] = EngineBench.Median(single);
        // SAM's default grid, once (a minute or more on 2 cores).
        var full = EverythingGenerator.Generate(session, image, new EverythingOptions { PointsPerSide = 32 }, null, ct);
        results["everything_32pps_1mp_ms"] = full.Elapsed.TotalMilliseconds;
        results["everything_32pps_masks"] = full.Masks.Count;
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

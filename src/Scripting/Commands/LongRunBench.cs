using System.Diagnostics;
using System.Globalization;
using System.Text;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// <c>segplug bench long-run</c>: a long batch through one <c>segplug run</c>, sampling the process's working set and
/// managed heap as it goes, to show whether memory stays flat after warm-up. Every image is different (crops, scales
/// and colour shifts of the bundled samples) so the embedding cache never hits and every item does the full work.
/// </summary>
internal static class LongRunBench
{
    /// <summary>
    /// The default workload: a subject cut-out from the salient-object model (u2netp), the cheapest real-model recipe,
    /// so that a thousand images finish in minutes; <c>--recipe recipes/cutout.csx</c> adds the segmentation model.
    /// </summary>
    internal const string DefaultRecipe = """
        var mask = SubjectSaliency();
        if (mask.IsEmpty) throw new SegInputException(InputPath, "no subject found");
        Save(CutOut(mask.RemoveIslands(64).Feather(2f)), "{name}-cutout.png");
        """;

    internal sealed record Sample(int Images, double Seconds, double WorkingSetMb, double PrivateMb, double ManagedHeapMb, double GcHeapMb, int Gen2);

    public sealed record Options(int Images, string? Recipe, int Jobs, int? Every, (int W, int H) Size, string? Csv, string? Model);

    public static Command Create()
    {
        var images = CliOptions.Int("--images", "N", "generated, all-different images", 1000, 1, 100_000);
        var recipe = CliOptions.InputFile("--recipe", "R.csx", "the workload (default: a u2netp cut-out)");
        var jobs = CliOptions.Int("--jobs", "N", "inputs in parallel", Environment.ProcessorCount, 1, 256);
        var every = CliOptions.OptionalInt("--every", "N", "sample memory every N images (default: images/40)", 1, 100_000);
        var size = new Option<(int, int)>("--size")
        {
            Description = "image size",
            HelpName = "WxH",
            DefaultValueFactory = _ => (512, 384),
            CustomParser = r =>
            {
                try { return ParseSize(r.Tokens[0].Value); }
                catch (SegArgumentException e) { r.AddError(e.Message); return (0, 0); }
            },
        };
        var csv = CliOptions.OutputFile("--csv", "OUT.csv", "the samples as CSV");
        var model = new Option<string>("--model") { Description = "model id for recipes that segment", HelpName = "ID" };
        var command = new Command("long-run", """
            Run N generated, all-different images through a recipe and sample working set and managed heap every --every
            images; prints the curve and its slope.
            """)
        { images, recipe, jobs, every, size, csv, model };
        command.SetAction((p, ct) => RunAsync(new Options(p.GetValue(images), p.GetValue(recipe), p.GetValue(jobs), p.GetValue(every),
            p.GetValue(size), p.GetValue(csv), p.GetValue(model)), CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        int images = o.Images;
        int jobs = o.Jobs;
        int every = o.Every ?? Math.Max(1, images / 40);
        string? recipe = o.Recipe;
        string? csv = o.Csv;
        string? model = o.Model;
        var (w, h) = o.Size;

        string root = Path.Combine(Path.GetTempPath(), "segplug-longrun-" + Guid.NewGuid().ToString("N"));
        string inDir = Path.Combine(root, "in"), outDir = Path.Combine(root, "out");
        Directory.CreateDirectory(inDir);
        try
        {
            if (recipe is null)
            {
                recipe = Path.Combine(root, "saliency-cutout.csx");
                File.WriteAllText(recipe, DefaultRecipe);
            }
            var sources = new[]
            {
                ImageIO.Load(FindInRepo(Path.Combine("samples", "chelsea.png"), "samples")),
                ImageIO.Load(FindInRepo(Path.Combine("samples", "coffee.jpg"), "samples")),
            };
            stderr.WriteLine($"long-run: generating {images} images of about {w}x{h} in {inDir}");
            for (int i = 0; i < images; i++)
            {
                ct.ThrowIfCancellationRequested();
                ImageIO.SavePng(Variant(sources[i % sources.Length], i, w, h), Path.Combine(inDir, $"img{i:D5}.png"));
            }

            var samples = new List<Sample>();
            var gate = new object();
            int done = 0;
            var clock = Stopwatch.StartNew();
            using var self = Process.GetCurrentProcess();
            Sample Take(int n)
            {
                self.Refresh();
                var info = GC.GetGCMemoryInfo();
                return new Sample(n, clock.Elapsed.TotalSeconds, self.WorkingSet64 / 1048576.0, self.PrivateMemorySize64 / 1048576.0,
                    GC.GetTotalMemory(false) / 1048576.0, info.HeapSizeBytes / 1048576.0, GC.CollectionCount(2));
            }
            samples.Add(Take(0));
            var services = RunServices.Default() with
            {
                InteractiveProgress = false,
                ItemFinished = _ =>
                {
                    int n = Interlocked.Increment(ref done);
                    if (n % every != 0 && n != images) return;
                    lock (gate)
                    {
                        var s = Take(n);
                        samples.Add(s);
                        stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"long-run: {n,6} images  {s.Seconds,7:0} s  working set {s.WorkingSetMb,7:0.0} MB  managed {s.ManagedHeapMb,6:0.0} MB"));
                        if (csv is not null) Files.AtomicWrite.Text(csv, Csv(samples));
                    }
                },
            };
            var runArgs = new List<string> { recipe, inDir, "--out", outDir, "--jobs", jobs.ToString(CultureInfo.InvariantCulture) };
            if (model is not null) runArgs.AddRange(["--model", model]);
            var report = await RunCommand.ExecuteAsync([.. runArgs], TextWriter.Null, stderr, services, ct).ConfigureAwait(false);
            int failed = report.Results.Count(r => r.Status != RecipeStatus.Success);
            foreach (var r in report.Results.Where(r => r.Status == RecipeStatus.Faulted).Take(5))
                stderr.WriteLine($"long-run: failed {r.InputPath}: {r.Error}");

            List<Sample> snapshot;
            lock (gate) snapshot = [.. samples];
            if (csv is not null) Files.AtomicWrite.Text(csv, Csv(snapshot));
            stdout.WriteLine(Summary(snapshot, images, jobs, failed, report.ExitCode));
            return report.ExitCode;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    internal static string Csv(IReadOnlyList<Sample> samples)
    {
        var sb = new StringBuilder("images,seconds,working_set_mb,private_mb,managed_mb,gc_heap_mb,gen2_collections\n");
        foreach (var s in samples)
            sb.Append(CultureInfo.InvariantCulture, $"{s.Images},{s.Seconds:0.0},{s.WorkingSetMb:0.0},{s.PrivateMb:0.0},{s.ManagedHeapMb:0.0},{s.GcHeapMb:0.0},{s.Gen2}\n");
        return sb.ToString();
    }

    /// <summary>Working set at 10 %, 50 % and 100 % of the batch and the least-squares slope after warm-up (the first 10 %).</summary>
    internal static string Summary(IReadOnlyList<Sample> samples, int images, int jobs, int failed, int exitCode)
    {
        Sample At(double fraction) => samples.MinBy(s => Math.Abs(s.Images - fraction * images))!;
        var after = samples.Where(s => s.Images >= images / 10).ToList();
        double slope = Slope(after, s => s.WorkingSetMb) * 100, heapSlope = Slope(after, s => s.ManagedHeapMb) * 100;
        var last = samples[^1];
        return string.Create(CultureInfo.InvariantCulture, $"""
            long run: {images} images, {jobs} jobs, {failed} failed (exit {exitCode}), {last.Seconds:0} s, {last.Seconds / Math.Max(1, last.Images):0.00} s per image
              working set at 10 %: {At(0.1).WorkingSetMb:0.0} MB, 50 %: {At(0.5).WorkingSetMb:0.0} MB, 100 %: {last.WorkingSetMb:0.0} MB, peak sampled {samples.Max(s => s.WorkingSetMb):0.0} MB
              slope after warm-up: working set {slope:+0.00;-0.00} MB per 100 images, managed heap {heapSlope:+0.00;-0.00} MB per 100 images
            """);
    }

    internal static double Slope(IReadOnlyList<Sample> points, Func<Sample, double> y)
    {
        if (points.Count < 2) return 0;
        double mx = points.Average(p => (double)p.Images), my = points.Average(y);
        double num = 0, den = 0;
        foreach (var p in points)
        {
            num += (p.Images - mx) * (y(p) - my);
            den += (p.Images - mx) * (p.Images - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    /// <summary>
    /// A different picture for every index: a crop of 55-100 % of the source at a random place, scaled to about the
    /// requested size (the aspect varies by up to 20 %), with per-channel gain and a small offset.
    /// </summary>
    internal static BgraImage Variant(BgraImage src, int index, int width, int height)
    {
        var rng = new Random(unchecked(index * 7919 + 17));
        double frac = 0.55 + 0.45 * rng.NextDouble();
        int cw = Math.Max(1, (int)(src.Width * frac)), ch = Math.Max(1, (int)(src.Height * frac));
        int cx = rng.Next(src.Width - cw + 1), cy = rng.Next(src.Height - ch + 1);
        int w = Math.Max(16, (int)(width * (0.9 + 0.2 * rng.NextDouble())));
        int h = Math.Max(16, (int)(height * (0.9 + 0.2 * rng.NextDouble())));
        Span<double> gain = [0.8 + 0.4 * rng.NextDouble(), 0.8 + 0.4 * rng.NextDouble(), 0.8 + 0.4 * rng.NextDouble()];
        int offset = rng.Next(-12, 13);
        var dst = new BgraImage(w, h);
        for (int y = 0; y < h; y++)
        {
            var s = src.Row(cy + (int)((long)y * ch / h));
            var d = dst.Row(y);
            for (int x = 0; x < w; x++)
            {
                int sx = (cx + (int)((long)x * cw / w)) * 4;
                for (int c = 0; c < 3; c++)
                    d[x * 4 + c] = (byte)Math.Clamp((int)(s[sx + c] * gain[c]) + offset, 0, 255);
                d[x * 4 + 3] = 255;
            }
        }
        return dst;
    }

    private static (int W, int H) ParseSize(string v)
    {
        var parts = v.Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && w is >= 16 and <= 8192 && h is >= 16 and <= 8192)
            return (w, h);
        throw new SegArgumentException("--size", $"expected WIDTHxHEIGHT with each from 16 to 8192, got \"{v}\"");
    }

    private static string FindInRepo(string relative, string option)
    {
        foreach (var dir in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, relative);
                if (File.Exists(p)) return p;
            }
        throw new SegArgumentException(option, $"not given and {relative} was not found above the current directory");
    }
}

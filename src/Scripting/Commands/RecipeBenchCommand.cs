using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// <c>segplug bench-recipes</c>: what the recipe host costs, as medians of repeated runs in one process: a cold
/// compile, a warm start from the compiled-recipe cache, and the per-image overhead of <c>segplug run</c> over
/// calling the engine directly for the same work (load a small PNG, save it as PNG).
/// </summary>
public static class RecipeBenchCommand
{
    public static Command Create()
    {
        var repeat = CliOptions.Int("--repeat", "N", "runs per measurement (medians are reported)", 7, 1, 1000);
        var images = CliOptions.Int("--images", "N", "small PNGs per run", 40, 1, 100_000);
        var size = CliOptions.Int("--size", "PX", "side of each PNG", 64, 1, 4096);
        var command = new Command("bench-recipes", "Measure the recipe host: cold compile, cache hit, and per-image overhead of 'segplug run'.") { repeat, images, size };
        command.SetAction((p, ct) => RunAsync(p.GetValue(repeat), p.GetValue(images), p.GetValue(size), CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(int repeat, int images, int size, CommandIO io, CancellationToken ct)
    {
        var stdout = io.Out;
        string root = Path.Combine(Path.GetTempPath(), "segplug-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var cache = new RecipeCache(Path.Combine(root, "cache"));
            var compiler = new RecipeCompiler(cache);

            // Cold compile: each run compiles a recipe text never seen before (a different key), after one warm-up
            // compile so the compiler's own JIT cost is reported separately.
            var first = Stopwatch.StartNew();
            Compile(compiler, Write(root, "warmup.csx", "Save(Input, \"{name}.png\"); // warm-up\n"));
            first.Stop();
            var cold = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                ct.ThrowIfCancellationRequested();
                string path = Write(root, $"cold{i}.csx", $"Save(Input, \"{{name}}.png\"); // {i}\n");
                var sw = Stopwatch.StartNew();
                Compile(compiler, path);
                cold.Add(sw.Elapsed.TotalMilliseconds);
            }

            // Warm: read + hash the recipe, hit the cache, load into a fresh context, unload.
            string recipe = Write(root, "copy.csx", "Save(Input, \"{name}.png\");\n");
            Compile(compiler, recipe);
            var warm = new List<double>();
            for (int i = 0; i < repeat; i++)
            {
                var sw = Stopwatch.StartNew();
                var compiled = Compile(compiler, recipe);
                if (!compiled.FromCache) throw new InvalidOperationException("cache miss on an unchanged recipe");
                using (RecipeAssembly.Load(compiled)) { }
                warm.Add(sw.Elapsed.TotalMilliseconds);
            }

            // Per image: segplug run (one job, --force, warm cache) against the same load+encode+atomic write direct.
            string inputs = Path.Combine(root, "in");
            Directory.CreateDirectory(inputs);
            var img = new BgraImage(size, size);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    var px = img.Row(y).Slice(x * 4, 4);
                    px[0] = (byte)x; px[1] = (byte)y; px[2] = (byte)(x ^ y); px[3] = 255;
                }
            for (int i = 0; i < images; i++) ImageIO.SavePng(img, Path.Combine(inputs, $"img{i:D5}.png"));
            var services = RunServices.Default() with { Cache = cache, CurrentDirectory = root, InteractiveProgress = false };
            var host = new List<double>();
            var direct = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                ct.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                var report = await RunCommand.ExecuteAsync([recipe, inputs, "--out", Path.Combine(root, "out-host"), "--jobs", "1", "--force"],
                    TextWriter.Null, TextWriter.Null, services, ct).ConfigureAwait(false);
                if (report.ExitCode != 0) throw new InvalidOperationException($"bench run failed with exit code {report.ExitCode}");
                host.Add(sw.Elapsed.TotalMilliseconds / images);

                string outDirect = Path.Combine(root, "out-direct");
                Directory.CreateDirectory(outDirect);
                sw.Restart();
                foreach (var f in Directory.EnumerateFiles(inputs).Order(StringComparer.Ordinal))
                    ImageIO.SavePng(ImageIO.Load(f), Path.Combine(outDirect, Path.GetFileName(f)));
                direct.Add(sw.Elapsed.TotalMilliseconds / images);
            }

            double h = Median(host), d = Median(direct);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
                recipe host, {Environment.ProcessorCount} cores, medians of {repeat} runs
                  first compile in process (includes compiler JIT): {first.Elapsed.TotalMilliseconds:0} ms
                  cold compile:                                     {Median(cold):0} ms
                  warm start (cache hit + load + unload):           {Median(warm):0.0} ms
                  per image, segplug run ({images} x {size}x{size} PNG):  {h:0.00} ms
                  per image, engine called directly:                {d:0.00} ms
                  host overhead per image:                          {h - d:0.00} ms (includes the run's fixed costs / {images})
                """));
            return 0;
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static string Write(string dir, string name, string text)
    {
        string p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private static CompiledRecipe Compile(RecipeCompiler compiler, string path) =>
        compiler.Compile(RecipeSource.Load(path), restricted: false).Recipe
        ?? throw new InvalidOperationException("bench recipe did not compile");

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
    }
}

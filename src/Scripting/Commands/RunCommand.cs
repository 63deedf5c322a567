using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SegPlugins.Core;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// <c>segplug run RECIPE.csx [INPUTS...] [options]</c>: compiles a recipe once and runs it over every input image.
/// </summary>
public static class RunCommand
{
    public const int ExitOk = 0;
    public const int ExitItemsFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;

    public const string Usage = """
        usage: segplug run RECIPE.csx [INPUTS...] [options]
          INPUTS            image files, folders (searched recursively) or globs (*, ?, **); PNG, JPEG, BMP
          --out DIR         output directory (default: ./out)
          --jobs N          inputs processed in parallel (default: number of CPU cores)
          --arg KEY=VALUE   argument for the recipe (repeatable); recipes read them with Arg/ArgInt/...
          --model ID        segmentation model for recipes that segment (default: the manifest's default)
          --encoder E --decoder D   ONNX files instead of --model
          --device D        auto, cpu, directml or cuda (dml:N / cuda:N pick a GPU)
          --precision P     fp32 (default) or int8: the SAM encoder's precision
          --dry-run         compile and list what would run or be skipped; write nothing
          --fail-fast       stop at the first failed input
          --force           run every input even when its outputs are up to date
          --shard K/N       run only the K-th of N deterministic slices (K is 1-based)
          --restricted      refuse recipes that use files, processes, network, reflection or native code
          --max-megapixels N  fail (only) the inputs larger than N megapixels, checked from the file header before
                            decoding, so one huge or hostile file cannot exhaust memory (default 100)
        """;

    /// <summary>Runs the command. Returns 0 when every input succeeded or was up to date, 1 when some failed,
    /// 2 for usage, recipe or compile errors, 130 when cancelled.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        RunAsync(args, stdout, stderr, RunServices.Default(), ct);

    internal static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, RunServices services, CancellationToken ct)
    {
        var report = await ExecuteAsync(args, stdout, stderr, services, ct).ConfigureAwait(false);
        return report.ExitCode;
    }

    internal sealed class Options
    {
        public string Recipe = "";
        public List<string> Inputs = [];
        public string Out = "out";
        public int Jobs = Environment.ProcessorCount;
        public Dictionary<string, string> Args = new(StringComparer.OrdinalIgnoreCase);
        public string? Model, Encoder, Decoder, Device, Precision;
        public bool DryRun, FailFast, Force, Restricted;
        public (int K, int N)? Shard;
        public double? MaxMegapixels;
    }

    /// <summary>What happened to every input, for tests and the summary.</summary>
    internal sealed record RunReport(
        int ExitCode,
        IReadOnlyList<RecipeResult> Results,
        IReadOnlyList<RecipeInput> Skipped,
        IReadOnlyList<RecipeInput> NotRun,
        IReadOnlyList<RecipeDiagnostic> Diagnostics,
        CompiledRecipe? Recipe);

    private static RunReport Fail(int code, IReadOnlyList<RecipeDiagnostic>? diags = null) =>
        new(code, [], [], [], diags ?? [], null);

    internal static Options Parse(string[] args)
    {
        var o = new Options();
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new SegArgumentException(a, "needs a value");
                return args[++i];
            }
            switch (a)
            {
                case "--out": o.Out = Value(); break;
                case "--jobs":
                    {
                        string v = Value();
                        if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out o.Jobs) || o.Jobs < 1 || o.Jobs > 256)
                            throw new SegArgumentException("--jobs", $"expected a whole number from 1 to 256, got \"{v}\"");
                        break;
                    }
                case "--arg":
                    {
                        string v = Value();
                        int eq = v.IndexOf('=');
                        if (eq <= 0) throw new SegArgumentException("--arg", $"expected KEY=VALUE, got \"{v}\"");
                        string key = v[..eq].Trim();
                        if (key.Length == 0) throw new SegArgumentException("--arg", $"expected KEY=VALUE, got \"{v}\"");
                        if (!o.Args.TryAdd(key, v[(eq + 1)..]))
                            throw new SegArgumentException("--arg", $"{key} is given twice");
                        break;
                    }
                case "--model": o.Model = Value(); break;
                case "--encoder": o.Encoder = Value(); break;
                case "--decoder": o.Decoder = Value(); break;
                case "--device": o.Device = Value(); break;
                case "--precision": o.Precision = Value(); break;
                case "--dry-run": o.DryRun = true; break;
                case "--fail-fast": o.FailFast = true; break;
                case "--force": o.Force = true; break;
                case "--restricted": o.Restricted = true; break;
                case "--max-megapixels":
                    {
                        string v = Value();
                        // 10,000 MP is past any decodable image (65,535 px sides are refused anyway); the bound keeps the long arithmetic exact.
                        if (!double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double mp) || !(mp > 0) || mp > 10_000)
                            throw new SegArgumentException("--max-megapixels", $"expected a number of megapixels above 0 and at most 10000, got \"{v}\"");
                        o.MaxMegapixels = mp;
                        break;
                    }
                case "--shard":
                    {
                        string v = Value();
                        var parts = v.Split('/');
                        if (parts.Length != 2
                            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
                            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                            || n < 1 || k < 1 || k > n)
                            throw new SegArgumentException("--shard", $"expected K/N with 1 <= K <= N (K is 1-based), got \"{v}\"");
                        o.Shard = (k, n);
                        break;
                    }
                case "--":
                    positional.AddRange(args[(i + 1)..]);
                    i = args.Length;
                    break;
                default:
                    if (a.StartsWith("--", StringComparison.Ordinal))
                        throw new SegArgumentException(a, "unknown option; see segplug run --help");
                    positional.Add(a);
                    break;
            }
        }
        if (positional.Count == 0) throw new SegArgumentException("RECIPE", "missing; expected segplug run RECIPE.csx [INPUTS...]");
        if ((o.Encoder is null) != (o.Decoder is null))
            throw new SegArgumentException(o.Encoder is null ? "--encoder" : "--decoder", "--encoder and --decoder must be given together");
        if (o.Model is not null && o.Encoder is not null)
            throw new SegArgumentException("--model", "give either --model or --encoder/--decoder, not both");
        if (o.Device is not null) _ = Core.Inference.EngineOptions.ParseDevice(o.Device);
        if (o.Precision is not null) _ = Core.Inference.Quantization.ModelPrecisions.Parse(o.Precision);
        o.Recipe = positional[0];
        o.Inputs = positional.Skip(1).ToList();
        return o;
    }

    internal static async Task<RunReport> ExecuteAsync(string[] args, TextWriter stdout, TextWriter stderr, RunServices services, CancellationToken ct)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            await stdout.WriteLineAsync(Usage).ConfigureAwait(false);
            return Fail(ExitOk);
        }

        Options o;
        RecipeSource source;
        try
        {
            o = Parse(args);
            source = RecipeSource.Load(Path.GetFullPath(o.Recipe, services.CurrentDirectory));
        }
        catch (SegException e)
        {
            await stderr.WriteLineAsync($"segplug run: {e.Message}").ConfigureAwait(false);
            return Fail(ExitUsage);
        }

        // Inputs: expand, refuse ones matching nothing (a typo should not look like an empty success), shard.
        var expansion = InputSet.Expand(o.Inputs, services.CurrentDirectory);
        if (o.Inputs.Count == 0)
        {
            await stderr.WriteLineAsync("segplug run: INPUTS: none given; pass image files, folders or globs after the recipe").ConfigureAwait(false);
            return Fail(ExitUsage);
        }
        if (expansion.Unmatched.Count > 0)
        {
            foreach (var u in expansion.Unmatched)
                await stderr.WriteLineAsync($"segplug run: input \"{u}\" matched no image files (PNG, JPEG, BMP)").ConfigureAwait(false);
            return Fail(ExitUsage);
        }
        var inputs = o.Shard is { } sh ? InputSet.Shard(expansion.Inputs, sh.K, sh.N) : expansion.Inputs;
        string outDir = Path.GetFullPath(o.Out, services.CurrentDirectory);

        // Compile (or fetch from cache) before touching the output directory: a broken recipe writes nothing.
        var compiler = new RecipeCompiler(services.Cache);
        CompileOutcome compiled;
        try
        {
            compiled = compiler.Compile(source, o.Restricted, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(ExitCancelled);
        }
        foreach (var d in compiled.Diagnostics)
            await stderr.WriteLineAsync(d.ToString()).ConfigureAwait(false);
        if (compiled.Recipe is not { } recipe)
        {
            await stderr.WriteLineAsync($"segplug run: {source.MainPath}: recipe did not compile; nothing was run").ConfigureAwait(false);
            return new RunReport(ExitUsage, [new RecipeResult(RecipeStatus.CompileFailed, null, [], "recipe did not compile", compiled.Diagnostics, TimeSpan.Zero)], [], [], compiled.Diagnostics, null);
        }
        await stderr.WriteLineAsync(recipe.FromCache
            ? "recipe: compiled build from cache"
            : string.Create(CultureInfo.InvariantCulture, $"recipe: compiled in {recipe.CompileTime.TotalMilliseconds:0} ms")).ConfigureAwait(false);

        string argsKey = ArgsKey(o.Args);
        var fs = services.FileSystem;
        var manifest = RunManifest.Load(outDir);
        var toRun = new List<RecipeInput>();
        var skipped = new List<RecipeInput>();
        foreach (var input in inputs)
        {
            if (!o.Force && manifest.IsUpToDate(input, recipe.Key, argsKey, source.LastWriteUtc, outDir, fs)) skipped.Add(input);
            else toRun.Add(input);
        }

        if (o.DryRun)
        {
            foreach (var i in toRun) await stdout.WriteLineAsync($"would run   {i.RelativePath}").ConfigureAwait(false);
            foreach (var i in skipped) await stdout.WriteLineAsync($"up to date  {i.RelativePath}").ConfigureAwait(false);
            await stdout.WriteLineAsync($"dry run: {toRun.Count} to run, {skipped.Count} up to date, output {outDir}").ConfigureAwait(false);
            return new RunReport(ExitOk, [], skipped, toRun, compiled.Diagnostics, recipe);
        }

        // A killed run leaves hidden staging files; remove those whose writer is gone before starting.
        int swept = StagingFiles.SweepStale(outDir);
        if (swept > 0)
            await stderr.WriteLineAsync($"segplug run: removed {swept} unfinished temporary file(s) of an earlier, interrupted run from {outDir}").ConfigureAwait(false);

        // The output directory must be creatable and writable; find out once, not once per input.
        try
        {
            fs.CreateDirectory(outDir);
            using (fs.CreateTemp(outDir, "probe", out string probe)) { fs.DeleteIfExists(probe); }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"segplug run: --out {outDir}: cannot create or write the output directory: {e.Message}").ConfigureAwait(false);
            return Fail(ExitUsage);
        }

        var protectedPaths = new HashSet<string>(expansion.Inputs.Select(i => i.FullPath), RecipeSource.PathComparer);
        foreach (var f in source.Files) protectedPaths.Add(f.Path);
        protectedPaths.Add(Path.Combine(outDir, RunManifest.FileName));

        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = new ProgressReporter(stderr, toRun.Count, services.InteractiveProgress ?? IsInteractive(stderr));
        var modelArgs = new Cli.ModelArgs(o.Model, o.Encoder, o.Decoder,
            o.Device is null ? Core.Inference.ExecutionDevice.Auto : Core.Inference.EngineOptions.ParseDevice(o.Device),
            Precision: o.Precision is null ? Core.Inference.Quantization.ModelPrecision.Fp32 : Core.Inference.Quantization.ModelPrecisions.Parse(o.Precision))
        { DeviceId = o.Device is null ? null : Core.Inference.DeviceSpec.Parse(o.Device).Id };
        using var segmenter = new SharedSegmenter(t => services.OpenSegmenter(modelArgs, stderr, t), runCts.Token);
        var host = new RecipeHost
        {
            OutputDir = outDir,
            Args = o.Args,
            FileSystem = fs,
            Codec = services.Codec,
            Segmenter = segmenter,
            ProtectedPaths = protectedPaths,
            InputLimits = o.MaxMegapixels is { } mp
                ? Core.Imaging.ImageLoadOptions.Default with { MaxPixels = (long)Math.Round(mp * 1e6), LimitName = "--max-megapixels" }
                : Core.Imaging.ImageLoadOptions.Default with { LimitName = "--max-megapixels" },
            BaseDirectory = services.CurrentDirectory,
            Log = (input, msg) => progress.Line(stdout, $"[{input.RelativePath}] {msg}"),
            Progress = progress.ItemProgress,
        };

        var results = new RecipeResult?[toRun.Count];
        var clock = Stopwatch.StartNew();
        using (var assembly = RecipeAssembly.Load(recipe))
        {
            int next = -1;
            async Task Worker()
            {
                while (true)
                {
                    int i = Interlocked.Increment(ref next);
                    if (i >= toRun.Count || runCts.IsCancellationRequested) return;
                    var input = toRun[i];
                    var r = await RecipeRunner.RunItemAsync(assembly, host, input, runCts.Token).ConfigureAwait(false);
                    results[i] = r;
                    if (r.Succeeded)
                    {
                        manifest.Record(input, recipe.Key, argsKey, r.Outputs, outDir);
                        try { manifest.SaveIfDue(outDir, fs); }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the final save reports it
                    }
                    progress.ItemDone(input, r.Status switch
                    {
                        RecipeStatus.Success => "ok",
                        RecipeStatus.Cancelled => "cancelled",
                        _ => "FAILED",
                    });
                    if (r.Status == RecipeStatus.Faulted && o.FailFast) runCts.Cancel();
                    services.ItemFinished?.Invoke(r);
                }
            }
            var workers = Enumerable.Range(0, Math.Min(o.Jobs, Math.Max(1, toRun.Count))).Select(_ => Task.Run(Worker, CancellationToken.None)).ToArray();
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        progress.Finish();
        try
        {
            manifest.Save(outDir, fs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"segplug run: could not update {RunManifest.FileName} in {outDir}: {e.Message} (the next run will redo these inputs)").ConfigureAwait(false);
        }

        var finished = results.Where(r => r is not null).Select(r => r!).ToList();
        var notRun = toRun.Where((_, i) => results[i] is null).ToList();
        await WriteSummaryAsync(stdout, finished, skipped, notRun, toRun, clock.Elapsed).ConfigureAwait(false);

        int code = ct.IsCancellationRequested ? ExitCancelled
            : finished.Any(r => r.Status != RecipeStatus.Success) || notRun.Count > 0 ? ExitItemsFailed
            : ExitOk;
        return new RunReport(code, finished, skipped, notRun, compiled.Diagnostics, recipe);
    }

    private static async Task WriteSummaryAsync(TextWriter w, List<RecipeResult> results, List<RecipeInput> skipped, List<RecipeInput> notRun, List<RecipeInput> toRun, TimeSpan elapsed)
    {
        var byPath = toRun.Concat(skipped).ToDictionary(i => i.FullPath, i => i.RelativePath, RecipeSource.PathComparer);
        string Rel(string? p) => p is not null && byPath.TryGetValue(p, out var r) ? r : p ?? "?";
        foreach (var r in results.Where(r => r.Succeeded).OrderBy(r => Rel(r.InputPath), StringComparer.Ordinal))
            await w.WriteLineAsync($"ok        {Rel(r.InputPath)} -> {string.Join(", ", r.Outputs.Select(Path.GetFileName))}").ConfigureAwait(false);
        foreach (var s in skipped)
            await w.WriteLineAsync($"skipped   {s.RelativePath} (outputs up to date; --force to redo)").ConfigureAwait(false);
        foreach (var r in results.Where(r => r.Status == RecipeStatus.Faulted).OrderBy(r => Rel(r.InputPath), StringComparer.Ordinal))
            await w.WriteLineAsync($"failed    {Rel(r.InputPath)}: {r.Error}").ConfigureAwait(false);
        foreach (var r in results.Where(r => r.Status == RecipeStatus.Cancelled).OrderBy(r => Rel(r.InputPath), StringComparer.Ordinal))
            await w.WriteLineAsync($"cancelled {Rel(r.InputPath)}").ConfigureAwait(false);
        foreach (var n in notRun)
            await w.WriteLineAsync($"not run   {n.RelativePath}").ConfigureAwait(false);
        int ok = results.Count(r => r.Succeeded);
        int failed = results.Count(r => r.Status == RecipeStatus.Faulted);
        int cancelled = results.Count(r => r.Status == RecipeStatus.Cancelled);
        await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{ok} ok, {failed} failed, {skipped.Count} skipped, {cancelled + notRun.Count} not finished, in {elapsed.TotalSeconds:0.0} s")).ConfigureAwait(false);
    }

    /// <summary>Arguments decide outputs as much as the recipe does: a changed --arg re-runs every input.</summary>
    private static string ArgsKey(Dictionary<string, string> args)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in args.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
            sb.Append(k.ToLowerInvariant()).Append('\0').Append(v).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static bool IsInteractive(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SegPlugins.Core;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;
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

    /// <summary>Everything <c>segplug run</c> was asked, after parsing.</summary>
    internal sealed record Options
    {
        public required string Recipe { get; init; }
        public IReadOnlyList<string> Inputs { get; init; } = [];
        public string Out { get; init; } = "out";
        public int Jobs { get; init; } = Environment.ProcessorCount;
        public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        public ModelArgs Model { get; init; } = ModelArgs.Default;
        public bool DryRun { get; init; }
        public bool FailFast { get; init; }
        public bool Force { get; init; }
        public bool Restricted { get; init; }
        public (int K, int N)? Shard { get; init; }
        public int? ShardCount { get; init; }
        public double? MaxMegapixels { get; init; }
    }

    /// <summary>The command's parser; its action runs with <see cref="RunServices.Default"/>.</summary>
    public static Command Create() => CreateParser((o, io, ct) => ExecuteAsync(o, io.Out, io.Err, RunServices.Default(), ct));

    internal static Command CreateParser(Func<Options, CommandIO, CancellationToken, Task<RunReport>> handler)
    {
        var recipe = CliOptions.FileArgument("RECIPE", "the recipe, a C# script (.csx)");
        var inputs = new Argument<string[]>("INPUTS") { Description = "image files, folders (searched recursively) or globs (*, ?, **); PNG, JPEG, BMP", Arity = ArgumentArity.ZeroOrMore };
        var outDir = CliOptions.OutputFile("--out", "DIR", "output directory");
        outDir.DefaultValueFactory = _ => "out";
        var jobs = CliOptions.Int("--jobs", "N", "inputs processed in parallel (default: number of CPU cores)", Environment.ProcessorCount, 1, 256);
        var args = new Option<string[]>("--arg")
        {
            Description = "an argument for the recipe (repeatable); 'segplug run RECIPE --help' lists what it declares",
            HelpName = "KEY=VALUE",
            AllowMultipleArgumentsPerToken = false,
        };
        args.Validators.Add(r =>
        {
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var t in r.Tokens)
            {
                int eq = t.Value.IndexOf('=');
                if (eq <= 0 || t.Value[..eq].Trim().Length == 0) r.AddError($"--arg: expected KEY=VALUE, got \"{t.Value}\"");
                else if (!seen.Add(t.Value[..eq].Trim())) r.AddError($"--arg: {t.Value[..eq].Trim()} is given twice");
            }
        });
        var model = new ModelOptions(threads: false);
        var dryRun = CliOptions.Flag("--dry-run", "compile and list what would run or be skipped; write nothing");
        var failFast = CliOptions.Flag("--fail-fast", "stop at the first failed input");
        var force = CliOptions.Flag("--force", "run every input even when its outputs are up to date");
        var shard = new Option<(int K, int N)?>("--shard")
        {
            Description = "run only the K-th of N deterministic slices (K is 1-based); without it a Slurm array task or a Kubernetes Indexed Job picks its slice",
            HelpName = "K/N",
            CustomParser = r => ParseShard(r),
        };
        var shardCount = CliOptions.OptionalInt("--shard-count", "N", $"slices of a Kubernetes Indexed Job (its completions; or set {ShardSource.CountVariable})", 1, 100_000);
        var restricted = CliOptions.Flag("--restricted", "refuse recipes that use files, processes, network, reflection or native code (a guard, not a sandbox)");
        var maxMp = new Option<double?>("--max-megapixels")
        {
            Description = "fail (only) the inputs larger than N megapixels, checked from the file header before decoding (default 100)",
            HelpName = "N",
            CustomParser = r =>
            {
                string v = r.Tokens[0].Value;
                // 10,000 MP is past any decodable image (65,535 px sides are refused anyway); the bound keeps the long arithmetic exact.
                if (double.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double mp) && mp > 0 && mp <= 10_000) return mp;
                r.AddError($"--max-megapixels: expected a number of megapixels above 0 and at most 10000, got \"{v}\"");
                return null;
            },
        };
        var command = new Command("run", "Run a C# recipe (.csx) over many images: compiled once, inputs in parallel, outputs written atomically, re-runs skip what is done.")
        {
            recipe, inputs, outDir, jobs, args, dryRun, failFast, force, shard, shardCount, restricted, maxMp,
        };
        model.AddTo(command);
        SegplugCli.AddHelpSection(command, (p, w) =>
        {
            if (p.GetResult(recipe)?.Tokens.FirstOrDefault()?.Value is { } r && File.Exists(r))
                RecipeArguments.WriteHelp(r, w);
        });
        command.SetAction(async (p, ct) =>
        {
            var argMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var a in p.GetValue(args) ?? [])
            {
                int eq = a.IndexOf('=');
                argMap[a[..eq].Trim()] = a[(eq + 1)..];
            }
            var o = new Options
            {
                Recipe = p.GetRequiredValue(recipe),
                Inputs = p.GetValue(inputs) ?? [],
                Out = p.GetValue(outDir) ?? "out",
                Jobs = p.GetValue(jobs),
                Args = argMap,
                Model = model.Read(p),
                DryRun = p.GetValue(dryRun),
                FailFast = p.GetValue(failFast),
                Force = p.GetValue(force),
                Restricted = p.GetValue(restricted),
                Shard = p.GetValue(shard),
                ShardCount = p.GetValue(shardCount),
                MaxMegapixels = p.GetValue(maxMp),
            };
            return (await handler(o, CommandIO.Of(p), ct).ConfigureAwait(false)).ExitCode;
        });
        return command;
    }

    private static (int K, int N)? ParseShard(System.CommandLine.Parsing.ArgumentResult r)
    {
        string v = r.Tokens[0].Value;
        var parts = v.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int k)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n >= 1 && k >= 1 && k <= n)
            return (k, n);
        r.AddError($"--shard: expected K/N with 1 <= K <= N (K is 1-based), got \"{v}\"");
        return null;
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

    /// <summary>Parses <paramref name="args"/> (the words after <c>run</c>) and runs; usage errors exit 2, help exits 0.</summary>
    internal static async Task<RunReport> ExecuteAsync(string[] args, TextWriter stdout, TextWriter stderr, RunServices services, CancellationToken ct)
    {
        RunReport? report = null;
        var command = CreateParser(async (o, io, token) => report = await ExecuteAsync(o, io.Out, io.Err, services, token).ConfigureAwait(false));
        var root = new RootCommand { command };
        SegplugCli.AddHelpSections(root);
        var parse = root.Parse(["run", .. args]);
        if (parse.Action is System.CommandLine.Invocation.ParseErrorAction) return Fail(SegplugCli.UsageError(parse, stderr));
        int code = await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, ct).ConfigureAwait(false);
        return report ?? Fail(code);
    }

    internal static async Task<RunReport> ExecuteAsync(Options o, TextWriter stdout, TextWriter stderr, RunServices services, CancellationToken ct)
    {
        RecipeSource source;
        (int K, int N)? shard;
        try
        {
            source = RecipeSource.Load(Path.GetFullPath(o.Recipe, services.CurrentDirectory));
            // The recipe's declared arguments are checked before anything compiles or runs: one message per problem, naming the argument.
            var declared = RecipeArguments.Read(source.Files[0].Text.ToString(), source.MainPath, out var declarationErrors);
            var problems = declarationErrors.Concat(RecipeArguments.Check(declared, o.Args, services.CurrentDirectory, Path.GetFileName(source.MainPath))).ToList();
            if (problems.Count > 0)
            {
                foreach (var p in problems) await stderr.WriteLineAsync($"segplug run: {p}").ConfigureAwait(false);
                await stderr.WriteLineAsync("segplug run: nothing was run; 'segplug run RECIPE --help' lists the recipe's arguments").ConfigureAwait(false);
                return Fail(ExitUsage);
            }
            shard = ShardSource.Resolve(o.Shard, o.ShardCount, services.Environment, out string? how);
            if (how is not null) await stderr.WriteLineAsync($"segplug run: {how}").ConfigureAwait(false);
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
        var inputs = shard is { } sh ? InputSet.Shard(expansion.Inputs, sh.K, sh.N) : expansion.Inputs;
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
        var manifest = RunManifest.Load(outDir, shard);
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
        protectedPaths.Add(Path.Combine(outDir, RunManifest.FileNameFor(shard)));

        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = new ProgressReporter(stderr, toRun.Count, services.InteractiveProgress ?? IsInteractive(stderr));
        var modelArgs = o.Model;
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
            await stderr.WriteLineAsync($"segplug run: could not update {RunManifest.FileNameFor(shard)} in {outDir}: {e.Message} (the next run will redo these inputs)").ConfigureAwait(false);
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
    private static string ArgsKey(IReadOnlyDictionary<string, string> args)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in args.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
            sb.Append(k.ToLowerInvariant()).Append('\0').Append(v).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static bool IsInteractive(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
}

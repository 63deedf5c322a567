using System.CommandLine;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Editing;
using SegPlugins.Evaluation;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug eval</c>: box and click benchmarks of a model on a dataset folder.</summary>
public static class EvalCommand
{
    /// <summary>Everything <c>segplug eval</c> was asked, after parsing; <see cref="Mode"/> is null for <c>--mode matte</c>.</summary>
    public sealed record Options(IReadOnlyList<string> Datasets, ModelArgs Model, EvaluationMode? Mode, string Strategy, int MaxClicks, int? Limit,
        string? Report, string? PerImage, string? Plot, ZoomInOptions Zoom, BoxPromptOptions Box)
    {
        /// <summary>Only every Nth sample (1st, N+1th, ...), for quick screening.</summary>
        public int Every { get; init; } = 1;

        /// <summary>A folder that keeps image embeddings (and saliency maps) between runs.</summary>
        public string? EmbeddingCache { get; init; }

        /// <summary>A JSON file with the click chain's settings (<see cref="ClickChainOptions"/>).</summary>
        public string? ClickOptions { get; init; }

        /// <summary>A CSV file with one row per click (<see cref="ClickTrace"/>).</summary>
        public string? Trace { get; init; }

        /// <summary>What a matte evaluation starts from (<c>--matte-prompt</c>).</summary>
        public MattePrompt MattePrompt { get; init; } = MattePrompt.Trimap;
    }

    public static Command Create()
    {
        var dataset = new Option<string[]>("--dataset")
        {
            Description = "images/NAME.jpg|png, gt/NAME.bmp|png (255 object, 0 background, 128 ignored), optional boxes.csv; repeat for several (a table each, output files get the folder's name)",
            HelpName = "DIR",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        dataset.Validators.Add(CliOptions.NotAnOption);
        var every = CliOptions.Int("--every", "N", "only every Nth sample (1st, N+1th, ...), for quick screening", 1, 1, 1000);
        var embeddingCache = new Option<string>("--embedding-cache") { Description = "keep image embeddings (and saliency maps) on disk between runs, keyed by encoder and image content", HelpName = "DIR" };
        embeddingCache.Validators.Add(CliOptions.NotAnOption);
        var clickOptions = CliOptions.InputFile("--click-options", "FILE.json", "the click chain's settings (ClickChainOptions as JSON, its property names) for the chain strategies");
        var model = new ModelOptions();
        var mode = CliOptions.Choice("--mode", "what to measure: box and click selection, or alpha mattes on a matting dataset (images/, alpha/, trimaps/)",
            [("box", Target.Box), ("clicks", Target.Clicks), ("click", Target.Clicks), ("all", Target.All), ("matte", Target.Matte)], Target.All);
        var mattePrompt = CliOptions.Choice("--matte-prompt", "with --mode matte: trimap (the solver on the dataset's trimaps) or box (selection from the box, trimap from the selection, solver)",
            [("trimap", MattePrompt.Trimap), ("box", MattePrompt.Box)], MattePrompt.Trimap);
        var strategy = new Option<string>("--strategy")
        {
            Description = "click strategies, comma-separated, or all: " + string.Join(", ", ClickStrategies.Names) + $" (default {ClickStrategies.Names[(int)ClickStrategies.Default]}: subject guide and colour refinement)",
            HelpName = "NAME[,NAME...]|all",
            DefaultValueFactory = _ => ClickStrategies.Names[(int)ClickStrategies.Default],
        };
        strategy.Validators.Add(r =>
        {
            try { _ = ParseStrategies(r.GetValueOrDefault<string>() ?? "", new ZoomInOptions()); }
            catch (SegArgumentException e) { r.AddError("--strategy: " + e.Message[(e.Parameter.Length + 2)..]); }
        });
        var maxClicks = CliOptions.Int("--max-clicks", "N", "clicks per image at most", EvaluationOptions.DefaultMaxClicks, 1, 100);
        var limit = CliOptions.OptionalInt("--limit", "N", "only the first N images", 1, int.MaxValue);
        var report = CliOptions.OutputFile("--report", "OUT.json", "the scores as JSON");
        var perImage = CliOptions.OutputFile("--per-image", "OUT.csv", "one row per image");
        var plot = CliOptions.OutputFile("--plot", "OUT.svg", "mIoU per click (click mode)");
        var trace = CliOptions.OutputFile("--trace", "OUT.csv", "click mode: one row per click (where it lies against the selection before it, how the answer was made, where correct pixels were lost)");
        var defaults = new ZoomInOptions();
        var zoomFrom = CliOptions.Int("--zoom-from", "K", "zoom-in strategy: first click that zooms", defaults.FromClick, 1, 100);
        var zoomExpansion = CliOptions.Double("--zoom-expansion", "F", "zoom-in strategy: crop size over the selection's box", defaults.Expansion);
        var boxZoom = CliOptions.Double("--box-zoom", "F", "box prompts: crop expansion (1.0: no crop)", 1.0);
        var boxRefine = CliOptions.Int("--box-refine", "N", "box prompts: refinement steps", 0, 0, 10);
        var boxColors = CliOptions.OnOff("--box-colors", "refine box prompts with the image's colours", true);
        var boxOracle = CliOptions.Flag("--box-oracle", "box prompts: an upper bound instead of the product's path, the model's proposal closest to the ground truth (no colour refinement, no zoom)");
        var command = new Command("eval", """
            Measure box and click quality on a dataset: box mIoU, NoC85/90 (clicks to reach IoU 0.85/0.90, at most
            --max-clicks), NoF (images that never reach it), mIoU after each click. --mode matte measures alpha mattes
            (SAD, MSE, gradient and connectivity errors, SAD in the trimap's unknown band).
            """)
        {
            dataset, every, embeddingCache, clickOptions, mode, mattePrompt, strategy, maxClicks, limit, report, perImage, plot, trace, zoomFrom, zoomExpansion, boxZoom, boxRefine, boxColors, boxOracle,
        };
        command.Validators.Add(r =>
        {
            // Read the words, not the values: a validator runs even when an option's value did not parse.
            bool matte = r.GetResult(mode) is { Tokens.Count: > 0 } m && m.Tokens[^1].Value.Trim().Equals("matte", StringComparison.OrdinalIgnoreCase);
            if (r.GetResult(mattePrompt) is not null && !matte)
                r.AddError("--matte-prompt: goes with --mode matte");
            if (matte && (r.GetResult(dataset)?.Tokens.Count ?? 0) > 1)
                r.AddError("--dataset: --mode matte takes one matting dataset");
            if (r.GetResult(boxOracle) is { Implicit: false } o && o.GetValueOrDefault<bool>()
                && (r.GetResult(boxZoom) is { Implicit: false } || r.GetResult(boxColors) is { Implicit: false } c && c.GetValueOrDefault<CliOptions.Switch>() == CliOptions.Switch.On))
                r.AddError("--box-oracle: scores the model's own answers on the whole image; it goes without --box-zoom and --box-colors on");
        });
        model.AddTo(command);
        command.SetAction((p, ct) => RunAsync(new Options(
            p.GetRequiredValue(dataset), model.Read(p), ModeOf(p.GetValue(mode)), p.GetValue(strategy)!, p.GetValue(maxClicks), p.GetValue(limit),
            p.GetValue(report), p.GetValue(perImage), p.GetValue(plot),
            defaults with { FromClick = p.GetValue(zoomFrom), Expansion = p.GetValue(zoomExpansion) },
            new BoxPromptOptions { ZoomExpansion = p.GetValue(boxZoom), RefineSteps = p.GetValue(boxRefine), ColorRefine = p.GetValue(boxColors) == CliOptions.Switch.On && !p.GetValue(boxOracle),
                ProposalOracle = p.GetValue(boxOracle) })
        {
            MattePrompt = p.GetValue(mattePrompt),
            Every = p.GetValue(every),
            EmbeddingCache = p.GetValue(embeddingCache),
            ClickOptions = p.GetValue(clickOptions),
            Trace = p.GetValue(trace),
        },
            CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        if (o.Mode is not { } mode)
            return await MatteEvalCommand.RunAsync(new MatteEvalArgs(o.Datasets[0], o.MattePrompt, o.Report, o.PerImage, o.Limit), o.Model, stdout, stderr, ct);
        var model = o.Model;
        string strategyText = o.Strategy;
        int maxClicks = o.MaxClicks;
        int? limit = o.Limit;
        string? reportPath = o.Report, csvPath = o.PerImage, plotPath = o.Plot;
        var zoom = o.Zoom;
        var box = o.Box;

        string? cacheDir = o.EmbeddingCache;
        var chainOptions = o.ClickOptions is { } optionsPath ? ClickChainOptionsFile.Read(optionsPath) : null;
        var strategies = ParseStrategies(strategyText, zoom, chainOptions);
        var datasets = o.Datasets.Select(SegmentationDataset.Open).ToArray();
        foreach (var dataset in datasets)
            foreach (var (option, path) in new[] { ("--report", reportPath), ("--per-image", csvPath), ("--plot", plotPath), ("--trace", o.Trace), ("--embedding-cache", cacheDir) })
                if (path is not null && IsInside(path, dataset.Directory))
                    throw new SegArgumentException(option, $"{path} is inside the dataset folder; outputs never go among the inputs");

        if (chainOptions is not null) box = box with { ColorMinAgreement = chainOptions.BoxColorMinAgreement, ColorOptions = chainOptions.ColorRefine };
        var options = new EvaluationOptions { Mode = mode, Strategies = strategies, MaxClicks = maxClicks, Limit = limit, Every = o.Every, Box = box, EmbeddingCacheDirectory = cacheDir, Trace = o.Trace is not null && (mode & EvaluationMode.Clicks) != 0 };
        using var session = await model.OpenSamAsync(stderr, ct);
        // The subject-guided and fused strategies read first clicks with the salient-object model; load it only then.
        bool guided = (mode & EvaluationMode.Clicks) != 0 && strategies.Any(s =>
            s.Name == ClickStrategies.Names[(int)ClickStrategyKind.SubjectGuided] || s.Name == ClickStrategies.Names[(int)ClickStrategyKind.Fused]);
        // Colour-refined boxes use the box crop's map, as the hosts' box path does (ColorRefineOptions.BoxSaliency).
        bool boxMaps = (mode & EvaluationMode.Box) != 0 && box.ColorRefine && (box.ColorOptions ?? ColorRefineOptions.Default).BoxSaliency;
        using var subject = guided || boxMaps
            ? await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct)
            : null;
        var runner = new EvaluationRunner(session, img => session.ForImage(img, ct), options,
            subject is null || !guided ? null
            : cacheDir is null ? (img, token) => subject.Saliency(img, token)
            : SaliencyFileCache.Wrap((img, token) => subject.Saliency(img, token), cacheDir, "u2netp"),
            subject is null || !boxMaps ? null : (img, prompts, colorOptions, token) => ColorRefiner.BoxSaliency(subject, img, prompts, colorOptions, token));
        foreach (var dataset in datasets)
        {
            int total = options.SampleCount(dataset.Count);
            stderr.WriteLine($"eval: {total} images of {dataset.Directory}, model {session.ModelName}, mode {Describe(mode)}" +
                             ((mode & EvaluationMode.Clicks) != 0 ? $", strategies {string.Join(",", strategies.Select(s => s.Name))}" : ""));
            var progress = new LineProgress(stderr);
            var result = runner.Run(dataset, progress, ct);
            var report = EvaluationReport.FromResult(result);

            string name = DatasetName(dataset.Directory);
            string? Out(string? path) => path is null || datasets.Length == 1 ? path : WithSuffix(path, name);
            if (Out(reportPath) is { } rp) report.WriteJson(rp);
            if (Out(csvPath) is { } cp) report.WritePerImageCsv(cp);
            if (Out(o.Trace) is { } tp)
            {
                if ((mode & EvaluationMode.Clicks) == 0) stderr.WriteLine("eval: --trace needs click mode; no trace written");
                else report.WriteTrace(tp);
            }
            if (Out(plotPath) is { } pp)
            {
                if ((mode & EvaluationMode.Clicks) == 0) stderr.WriteLine("eval: --plot needs click mode; no plot written");
                else report.WriteSvgPlot(pp);
            }
            if (datasets.Length > 1) stdout.WriteLine($"dataset {name}");
            stdout.Write(report.ToTable());
            if (datasets.Length > 1) stdout.WriteLine();
        }
        return 0;
    }

    /// <summary>The dataset folder's own name (<c>../data/grabcut/</c> gives <c>grabcut</c>).</summary>
    internal static string DatasetName(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

    /// <summary><c>out/report.json</c> with suffix <c>grabcut</c> gives <c>out/report.grabcut.json</c>.</summary>
    internal static string WithSuffix(string path, string suffix)
    {
        string ext = Path.GetExtension(path);
        return Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + "." + suffix + ext);
    }

    /// <summary>The words of <c>--mode</c>: the selection benchmarks, or mattes.</summary>
    private enum Target { Box, Clicks, All, Matte }

    private static EvaluationMode? ModeOf(Target t) => t switch
    {
        Target.Box => EvaluationMode.Box,
        Target.Clicks => EvaluationMode.Clicks,
        Target.All => EvaluationMode.All,
        _ => null,
    };

    internal static IReadOnlyList<IClickStrategy> ParseStrategies(string text, ZoomInOptions zoom, ClickChainOptions? chain = null)
    {
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return ClickStrategies.All(zoom, chain);
        var list = new List<IClickStrategy>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kind = ClickStrategies.Parse(part);
            if (list.Any(s => s.Name == ClickStrategies.Names[(int)kind]))
                throw new SegArgumentException("--strategy", $"'{part}' is listed twice");
            list.Add(ClickStrategies.Create(kind, zoom, chain));
        }
        if (list.Count == 0) throw new SegArgumentException("--strategy", "no strategy given");
        return list;
    }

    private static string Describe(EvaluationMode mode) => mode switch
    {
        EvaluationMode.Box => "box",
        EvaluationMode.Clicks => "clicks",
        _ => "box+clicks",
    };

    private static bool IsInside(string path, string directory)
    {
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var full = Path.GetFullPath(path);
        var dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)) + Path.DirectorySeparatorChar;
        return full.StartsWith(dir, comparison);
    }

    /// <summary>One line per image on stderr (synchronous: Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
    private sealed class LineProgress(TextWriter stderr) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress p) =>
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{p.Done}/{p.Total}] {p.Name}  {p.ElapsedSeconds:0.0} s"));
    }
}

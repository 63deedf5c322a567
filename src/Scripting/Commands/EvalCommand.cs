using System.CommandLine;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Evaluation;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug eval</c>: box and click benchmarks of a model on a dataset folder.</summary>
public static class EvalCommand
{
    /// <summary>Everything <c>segplug eval</c> was asked, after parsing; <see cref="Mode"/> is null for <c>--mode matte</c>.</summary>
    public sealed record Options(string Dataset, ModelArgs Model, EvaluationMode? Mode, string Strategy, int MaxClicks, int? Limit,
        string? Report, string? PerImage, string? Plot, ZoomInOptions Zoom, BoxPromptOptions Box)
    {
        /// <summary>What a matte evaluation starts from (<c>--matte-prompt</c>).</summary>
        public MattePrompt MattePrompt { get; init; } = MattePrompt.Trimap;
    }

    public static Command Create()
    {
        var dataset = CliOptions.InputFile("--dataset", "DIR", "images/NAME.jpg|png, gt/NAME.bmp|png (255 object, 0 background, 128 ignored), optional boxes.csv", required: true);
        var model = new ModelOptions();
        var mode = CliOptions.Choice<EvaluationMode?>("--mode", "what to measure: box and click selection, or alpha mattes on a matting dataset (images/, alpha/, trimaps/)",
            [("box", EvaluationMode.Box), ("clicks", EvaluationMode.Clicks), ("click", EvaluationMode.Clicks), ("all", EvaluationMode.All), ("matte", null)], EvaluationMode.All);
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
        var defaults = new ZoomInOptions();
        var zoomFrom = CliOptions.Int("--zoom-from", "K", "zoom-in strategy: first click that zooms", defaults.FromClick, 1, 100);
        var zoomExpansion = CliOptions.Double("--zoom-expansion", "F", "zoom-in strategy: crop size over the selection's box", defaults.Expansion);
        var boxZoom = CliOptions.Double("--box-zoom", "F", "box prompts: crop expansion (1.0: no crop)", 1.0);
        var boxRefine = CliOptions.Int("--box-refine", "N", "box prompts: refinement steps", 0, 0, 10);
        var boxColors = CliOptions.OnOff("--box-colors", "refine box prompts with the image's colours", true);
        var command = new Command("eval", """
            Measure box and click quality on a dataset: box mIoU, NoC85/90 (clicks to reach IoU 0.85/0.90, at most
            --max-clicks), NoF (images that never reach it), mIoU after each click. --mode matte measures alpha mattes
            (SAD, MSE, gradient and connectivity errors, SAD in the trimap's unknown band).
            """)
        {
            dataset, mode, mattePrompt, strategy, maxClicks, limit, report, perImage, plot, zoomFrom, zoomExpansion, boxZoom, boxRefine, boxColors,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(mattePrompt) is not null && r.GetValue(mode) is not null)
                r.AddError("--matte-prompt: goes with --mode matte");
        });
        model.AddTo(command);
        command.SetAction((p, ct) => RunAsync(new Options(
            p.GetRequiredValue(dataset), model.Read(p), p.GetValue(mode), p.GetValue(strategy)!, p.GetValue(maxClicks), p.GetValue(limit),
            p.GetValue(report), p.GetValue(perImage), p.GetValue(plot),
            defaults with { FromClick = p.GetValue(zoomFrom), Expansion = p.GetValue(zoomExpansion) },
            new BoxPromptOptions { ZoomExpansion = p.GetValue(boxZoom), RefineSteps = p.GetValue(boxRefine), ColorRefine = p.GetValue(boxColors) == CliOptions.Switch.On })
        {
            MattePrompt = p.GetValue(mattePrompt),
        },
            CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
        if (o.Mode is not { } mode)
            return await MatteEvalCommand.RunAsync(new MatteEvalArgs(o.Dataset, o.MattePrompt, o.Report, o.PerImage, o.Limit), o.Model, stdout, stderr, ct);
        string datasetDir = o.Dataset;
        var model = o.Model;
        string strategyText = o.Strategy;
        int maxClicks = o.MaxClicks;
        int? limit = o.Limit;
        string? reportPath = o.Report, csvPath = o.PerImage, plotPath = o.Plot;
        var zoom = o.Zoom;
        var box = o.Box;

        var strategies = ParseStrategies(strategyText, zoom);
        var dataset = SegmentationDataset.Open(datasetDir);
        foreach (var (option, path) in new[] { ("--report", reportPath), ("--per-image", csvPath), ("--plot", plotPath) })
            if (path is not null && IsInside(path, dataset.Directory))
                throw new SegArgumentException(option, $"{path} is inside the dataset folder; outputs never go among the inputs");

        var options = new EvaluationOptions { Mode = mode, Strategies = strategies, MaxClicks = maxClicks, Limit = limit, Box = box };
        using var session = await model.OpenSamAsync(stderr, ct);
        // The subject-guided and fused strategies read first clicks with the salient-object model; load it only then.
        bool guided = (mode & EvaluationMode.Clicks) != 0 && strategies.Any(s =>
            s.Name == ClickStrategies.Names[(int)ClickStrategyKind.SubjectGuided] || s.Name == ClickStrategies.Names[(int)ClickStrategyKind.Fused]);
        using var subject = guided
            ? await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct)
            : null;
        var runner = new EvaluationRunner(session, img => session.ForImage(img, ct), options,
            subject is null ? null : (img, token) => subject.Saliency(img, token));
        int total = Math.Min(dataset.Count, limit ?? int.MaxValue);
        stderr.WriteLine($"eval: {total} images of {dataset.Directory}, model {session.ModelName}, mode {Describe(mode)}" +
                         ((mode & EvaluationMode.Clicks) != 0 ? $", strategies {string.Join(",", strategies.Select(s => s.Name))}" : ""));
        var progress = new LineProgress(stderr);
        var result = runner.Run(dataset, progress, ct);
        var report = EvaluationReport.FromResult(result);

        if (reportPath is not null) report.WriteJson(reportPath);
        if (csvPath is not null) report.WritePerImageCsv(csvPath);
        if (plotPath is not null)
        {
            if ((mode & EvaluationMode.Clicks) == 0) stderr.WriteLine("eval: --plot needs click mode; no plot written");
            else report.WriteSvgPlot(plotPath);
        }
        stdout.Write(report.ToTable());
        return 0;
    }

    internal static EvaluationMode ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "box" => EvaluationMode.Box,
        "clicks" or "click" => EvaluationMode.Clicks,
        "all" => EvaluationMode.All,
        _ => throw new SegArgumentException("--mode", $"'{text}' is not a mode; expected box, clicks or all"),
    };

    internal static IReadOnlyList<IClickStrategy> ParseStrategies(string text, ZoomInOptions zoom)
    {
        if (text.Trim().Equals("all", StringComparison.OrdinalIgnoreCase)) return ClickStrategies.All(zoom);
        var list = new List<IClickStrategy>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kind = ClickStrategies.Parse(part);
            if (list.Any(s => s.Name == ClickStrategies.Names[(int)kind]))
                throw new SegArgumentException("--strategy", $"'{part}' is listed twice");
            list.Add(ClickStrategies.Create(kind, zoom));
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

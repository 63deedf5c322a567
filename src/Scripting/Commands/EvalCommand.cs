using System.Globalization;
using SegPlugins.Core.Editing;
using SegPlugins.Core;
using SegPlugins.Core.Evaluation;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug eval</c>: box and click benchmarks of a model on a dataset folder.</summary>
public static class EvalCommand
{
    public const string Usage = """
        segplug eval --dataset DIR [--dataset DIR2 ...] [--model ID | --encoder E.onnx --decoder D.onnx] [--device auto|cpu|dml|cuda]
                     [--mode box|clicks|all] [--strategy NAME|all] [--max-clicks 20] [--limit N] [--every N]
                     [--report OUT.json] [--per-image OUT.csv] [--plot OUT.svg] [--embedding-cache DIR]
                     [--click-options FILE.json]
                     [--zoom-from K] [--zoom-expansion 1.4] [--box-zoom 1.0] [--box-refine 0] [--box-colors on|off]
          DIR holds images/NAME.jpg|png, gt/NAME.bmp|png (255 object, 0 background, 128 ignored) and optionally
          boxes.csv. Strategies: all-clicks, feedback-logits, first-click-multimask, zoom-in, best-proposal,
          subject-guided, fused (default: subject guide and colour refinement; both load the u2netp subject
          model); several may be given comma-separated. Box prompts are refined with colours unless
          --box-colors off.
          Scores: box mIoU, NoC85/90 (clicks to reach IoU 0.85/0.90, at most --max-clicks), NoF (images that
          never reach it), mIoU after each click, the largest fall of that mean from one click to the next, the
          share of images that lose more than 0.05 IoU at some click (collapse), click time p50/p90.
          Several --dataset: one table each; output files get the dataset's folder name before the extension.
          --every N: only every Nth sample (1st, N+1th, ...), for quick screening. --embedding-cache DIR keeps
          the image embeddings on disk between runs (keyed by encoder and image content). --click-options reads
          the click chain's settings (ClickChainOptions, JSON with its property names) for the chain strategies.
        """;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string>());
        var datasetDirs = args.GetAll("--dataset");
        if (datasetDirs.Count == 0) throw new SegArgumentException("--dataset", "is required (the dataset folder with images/ and gt/)");
        var model = ModelArgs.Read(args);
        var mode = ParseMode(args.Get("--mode") ?? "all");
        var strategyText = args.Get("--strategy") ?? ClickStrategies.Names[(int)ClickStrategies.Default];
        int maxClicks = args.GetInt("--max-clicks", EvaluationOptions.DefaultMaxClicks, 1, 100);
        int? limit = args.Get("--limit") is null ? null : args.GetInt("--limit", 0, 1);
        int every = args.GetInt("--every", 1, 1, 1000);
        string? cacheDir = args.Get("--embedding-cache");
        var chainOptions = args.Get("--click-options") is { } optionsPath ? ClickChainOptionsFile.Read(optionsPath) : null;
        string? reportPath = args.Get("--report");
        string? csvPath = args.Get("--per-image");
        string? plotPath = args.Get("--plot");
        var zoom = new ZoomInOptions();
        zoom = zoom with
        {
            FromClick = args.GetInt("--zoom-from", zoom.FromClick, 1, 100),
            Expansion = ReadDouble(args, "--zoom-expansion", zoom.Expansion),
        };
        var box = new BoxPromptOptions
        {
            ZoomExpansion = ReadDouble(args, "--box-zoom", 1.0),
            RefineSteps = args.GetInt("--box-refine", 0, 0, 10),
            ColorRefine = ParseOnOff(args, "--box-colors", true),
        };
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");

        var strategies = ParseStrategies(strategyText, zoom, chainOptions);
        var datasets = datasetDirs.Select(SegmentationDataset.Open).ToArray();
        foreach (var dataset in datasets)
            foreach (var (option, path) in new[] { ("--report", reportPath), ("--per-image", csvPath), ("--plot", plotPath), ("--embedding-cache", cacheDir) })
                if (path is not null && IsInside(path, dataset.Directory))
                    throw new SegArgumentException(option, $"{path} is inside the dataset folder; outputs never go among the inputs");

        if (chainOptions is not null) box = box with { ColorMinAgreement = chainOptions.BoxColorMinAgreement };
        var options = new EvaluationOptions { Mode = mode, Strategies = strategies, MaxClicks = maxClicks, Limit = limit, Every = every, Box = box, EmbeddingCacheDirectory = cacheDir };
        using var session = await model.OpenSamAsync(stderr, ct);
        // The subject-guided and fused strategies read first clicks with the salient-object model; load it only then.
        bool guided = (mode & EvaluationMode.Clicks) != 0 && strategies.Any(s =>
            s.Name == ClickStrategies.Names[(int)ClickStrategyKind.SubjectGuided] || s.Name == ClickStrategies.Names[(int)ClickStrategyKind.Fused]);
        using var subject = guided
            ? await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct)
            : null;
        var runner = new EvaluationRunner(session, img => session.ForImage(img, ct), options,
            subject is null ? null
            : cacheDir is null ? (img, token) => subject.Saliency(img, token)
            : SaliencyFileCache.Wrap((img, token) => subject.Saliency(img, token), cacheDir, "u2netp"));
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

    internal static EvaluationMode ParseMode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "box" => EvaluationMode.Box,
        "clicks" or "click" => EvaluationMode.Clicks,
        "all" => EvaluationMode.All,
        _ => throw new SegArgumentException("--mode", $"'{text}' is not a mode; expected box, clicks or all"),
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

    private static bool ParseOnOff(ArgReader args, string name, bool fallback) => args.Get(name)?.Trim().ToLowerInvariant() switch
    {
        null => fallback,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        var other => throw new SegArgumentException(name, $"'{other}' is not on or off"),
    };

    private static double ReadDouble(ArgReader args, string name, double fallback)
    {
        var s = args.Get(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new SegArgumentException(name, $"'{s}' is not a number");
        return v;
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

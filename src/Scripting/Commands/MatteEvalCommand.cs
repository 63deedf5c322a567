using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Evaluation;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary>What <c>segplug eval --mode matte</c> was asked for.</summary>
public sealed record MatteEvalArgs(string Dataset, MattePrompt Prompt, string? Report, string? PerImage, int? Limit);

/// <summary><c>segplug eval --dataset DIR --mode matte --matte-prompt box|trimap [--report R.json] [--per-image R.csv]</c>.</summary>
public static class MatteEvalCommand
{
    public const string Usage = """
          --mode matte: alpha mattes on a matting dataset (images/, alpha/, trimaps/, boxes.csv):
            --matte-prompt trimap (the solver on the dataset's trimaps) or box (selection from the box, trimap
            from the selection, solver). Scores: SAD, MSE, gradient and connectivity errors, SAD in the unknown band.
        """;

    /// <summary>True when the eval arguments ask for <c>--mode matte</c>.</summary>
    public static bool Handles(string[] argv)
    {
        for (int i = 0; i < argv.Length; i++)
            if (argv[i] == "--mode=matte" || (argv[i] == "--mode" && i + 1 < argv.Length && argv[i + 1].Trim().Equals("matte", StringComparison.OrdinalIgnoreCase)))
                return true;
        return false;
    }

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string>());
        args.Get("--mode");
        var model = ModelArgs.Read(args);
        var parsed = new MatteEvalArgs(
            args.Require("--dataset", "the matting dataset folder with images/ and alpha/"),
            (args.Get("--matte-prompt") ?? "trimap").Trim().ToLowerInvariant() switch
            {
                "trimap" => MattePrompt.Trimap,
                "box" => MattePrompt.Box,
                var other => throw new SegArgumentException("--matte-prompt", $"'{other}' is not a matte prompt; expected box or trimap"),
            },
            args.Get("--report"), args.Get("--per-image"),
            args.Get("--limit") is null ? null : args.GetInt("--limit", 0, 1));
        args.RejectUnknown();
        if (args.Positional.Count > 0) throw new SegArgumentException(args.Positional[0], "unexpected argument");
        return await RunAsync(parsed, model, stdout, stderr, ct);
    }

    public static async Task<int> RunAsync(MatteEvalArgs a, ModelArgs model, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var dataset = MattingDataset.Open(a.Dataset);
        foreach (var (option, path) in new[] { ("--report", a.Report), ("--per-image", a.PerImage) })
            if (path is not null && Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(dataset.Directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new SegArgumentException(option, $"{path} is inside the dataset folder; outputs never go among the inputs");
        var options = new MatteEvaluationOptions { Prompt = a.Prompt, Limit = a.Limit };
        using var session = a.Prompt == MattePrompt.Box ? await model.OpenSamAsync(stderr, ct) : null;
        var runner = new MatteEvaluationRunner(session, options);
        stderr.WriteLine($"eval: matte, {Math.Min(dataset.Count, a.Limit ?? int.MaxValue)} images of {dataset.Directory}, prompt {(a.Prompt == MattePrompt.Box ? "box" : "trimap")}");
        var results = runner.Run(dataset, new Lines(stderr), ct);
        var report = new MatteReport(dataset.Directory, a.Prompt, results);
        if (a.Report is not null) report.WriteJson(a.Report);
        if (a.PerImage is not null) report.WritePerImageCsv(a.PerImage);
        stdout.Write(report.ToTable());
        return 0;
    }

    private sealed class Lines(TextWriter stderr) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress p) =>
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{p.Done}/{p.Total}] {p.Name}  {p.ElapsedSeconds:0.0} s"));
    }
}

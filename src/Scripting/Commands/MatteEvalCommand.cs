using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Evaluation;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary>What <c>segplug eval --mode matte</c> was asked for.</summary>
public sealed record MatteEvalArgs(string Dataset, MattePrompt Prompt, string? Report, string? PerImage, int? Limit);

/// <summary>The body of <c>segplug eval --dataset DIR --mode matte --matte-prompt box|trimap [--report R.json] [--per-image R.csv]</c>.</summary>
public static class MatteEvalCommand
{
    public static async Task<int> RunAsync(MatteEvalArgs a, ModelArgs model, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var dataset = MattingDataset.Open(a.Dataset);
        foreach (var (option, path) in new[] { ("--report", a.Report), ("--per-image", a.PerImage) })
            if (path is not null && Path.GetFullPath(path).StartsWith(Path.TrimEndingDirectorySeparator(dataset.Directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new SegArgumentException(option, $"{path} is inside the dataset folder; outputs never go among the inputs");
        var options = new MatteEvaluationOptions { Prompt = a.Prompt, Limit = a.Limit };
        using var session = a.Prompt == MattePrompt.Box ? await model.OpenSamAsync(stderr, ct) : null;
        // The box path limits the region with the salient-object model's map of the box, as select --box --matte does.
        using var subject = a.Prompt == MattePrompt.Box ? await SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), ct) : null;
        var runner = new MatteEvaluationRunner(session, options, subject);
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

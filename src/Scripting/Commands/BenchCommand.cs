using SegPlugins.Core;
using SegPlugins.Scripting.Bench;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug bench</c>: medians of repeated engine runs, in one process so ratios are comparable.</summary>
public static class BenchCommand
{
    public sealed record Options(ModelArgs Model, string? Image, int Repeat, bool Json, string? JsonOut, bool Everything);

    public static Command Create()
    {
        var model = new ModelOptions();
        var image = CliOptions.InputFile("--image", "IMG", "the photo to time (default: samples/chelsea.png)");
        var repeat = CliOptions.Int("--repeat", "N", "runs per measurement (medians are reported)", 7, 1, 1000);
        var json = new Option<string>("--json")
        {
            Description = "print the figures as JSON, or write them to OUT.json",
            HelpName = "OUT.json",
            Arity = ArgumentArity.ZeroOrOne,
        };
        json.Validators.Add(CliOptions.NotAnOption);
        var noEverything = CliOptions.Flag("--no-everything", "skip the segment-everything timing");
        var command = new Command("bench", """
            Measure the engine: medians of N runs of the encoder and of clicks at 1 MP and 12 MP; segment-everything at
            1 MP (16 points per side, at most 3 runs, batched and one prompt per run alternating; 32 points per side
            once); a one-shot select in a child process (1 MP time, 12 MP peak memory).
            """)
        { image, repeat, json, noEverything };
        model.AddTo(command);
        command.Subcommands.Add(LongRunBench.Create());
        command.SetAction((p, ct) => RunAsync(new Options(model.Read(p), p.GetValue(image), p.GetValue(repeat),
            p.GetResult(json) is not null, p.GetValue(json), !p.GetValue(noEverything)), CommandIO.Of(p), ct));
        return command;
    }

    public static Task<int> RunAsync(Options o, CommandIO io, CancellationToken ct) =>
        EngineBench.RunAsync(new EngineBench.Settings(o.Model, o.Image ?? DefaultSample(), o.Repeat, o.Json, o.Everything, o.JsonOut), io.Out, io.Err, ct);

    internal static string DefaultSample()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "samples", "chelsea.png");
                if (File.Exists(p)) return p;
            }
        }
        throw new SegArgumentException("--image", "no image given and samples/chelsea.png was not found");
    }
}

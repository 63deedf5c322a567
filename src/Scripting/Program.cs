using SegPlugins.Core;
using SegPlugins.Scripting.Commands;

namespace SegPlugins.Scripting;

public static class Program
{
    public const string Usage = """
        segplug: Segment Anything selection for batch edits.

        Commands:
          select   one selection from points and/or a box (mask PNG, cut-out, .npy logits)
          subject  select the main subject without prompts
          everything  every object mask (label map, mask PNGs, COCO RLE)
          run      run a C# recipe (.csx) over many images
          eval     measure box and click quality on a dataset (NoC@85/90, mIoU per click)
          bench-recipes  measure the recipe host's compile, cache and per-image costs
          models   list, fetch, verify the model files
          bench    measure the engine (medians of repeated runs)
          serve    a local page and HTTP API to select by clicking in the browser
          help     this text

        """;

    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cts.IsCancellationRequested) return; // a second Ctrl+C ends the process at once
            e.Cancel = true;
            Console.Error.WriteLine("Stopping (Ctrl+C again to abort at once)...");
            cts.Cancel();
        };
        return await RunAsync(args, Console.Out, Console.Error, cts.Token);
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            stdout.WriteLine(Usage + SelectCommand.Usage + SelectMoreCommand.Usage + Environment.NewLine + SubjectCommand.Usage + Environment.NewLine + EverythingCommand.Usage + Environment.NewLine
                + RunCommand.Usage + Environment.NewLine + EvalCommand.Usage + Environment.NewLine + ModelsCommand.Usage + Environment.NewLine + BenchCommand.Usage + Environment.NewLine + Serve.ServeCommand.Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var rest = args[1..];
        try
        {
            return args[0] switch
            {
                "select" when SelectMoreCommand.Handles(rest) => await SelectMoreCommand.RunAsync(rest, stdout, stderr, ct),
                "select" => await SelectCommand.RunAsync(rest, stdout, stderr, ct),
                "everything" => await EverythingCommand.RunAsync(rest, stdout, stderr, ct),
                "models" => await ModelsCommand.RunAsync(rest, stdout, stderr, ct),
                "subject" => await SubjectCommand.RunAsync(rest, stdout, stderr, ct),
                "run" => await RunCommand.RunAsync(rest, stdout, stderr, ct),
                "eval" => await EvalCommand.RunAsync(rest, stdout, stderr, ct),
                "bench-recipes" => await RecipeBenchCommand.RunAsync(rest, stdout, stderr, ct),
                "bench" => await BenchCommand.RunAsync(rest, stdout, stderr, ct),
                "serve" => await Serve.ServeCommand.RunAsync(rest, stdout, stderr, ct),
                _ => Unknown(args[0], stderr),
            };
        }
        catch (SegException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("cancelled");
            return 130;
        }
    }

    private static int Unknown(string command, TextWriter stderr)
    {
        stderr.WriteLine($"error: '{command}' is not a segplug command; run 'segplug help'");
        return 2;
    }
}

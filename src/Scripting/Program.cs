using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting;

public static class Program
{
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

    /// <summary>Runs <c>segplug</c> with these arguments; see <see cref="SegplugCli"/> for the commands and exit codes.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct) =>
        SegplugCli.RunAsync(args, stdout, stderr, ct);
}

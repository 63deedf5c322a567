using System.Diagnostics;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Serve;

/// <summary><c>segplug serve</c>: the page and HTTP API until Ctrl+C.</summary>
public static class ServeCommand
{
    public const string Usage = ServeOptions.Usage;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var options = ServeOptions.Parse(argv);
        var sam = await options.Model.OpenSamAsync(stderr, ct);
        var server = await SelectionServer.StartAsync(options, sam,
            c => SubjectSelector.OpenAsync(options.Model.Options(stderr), new ConsoleProgress(stderr), c), stderr, null, ct);
        await using (server)
        {
            if (!options.IsLoopback)
                stderr.WriteLine($"warning: listening on {options.Host}, reachable from other machines; anyone with the token can use it");
            stdout.WriteLine($"segplug serve: {sam.ModelName}, {options.Images.Count} image(s) open; Ctrl+C stops");
            stdout.WriteLine(server.PageUrl);
            stdout.Flush();
            if (options.Open) OpenBrowser(server.PageUrl, stderr);
            await server.WaitAsync(ct);
        }
        return 0;
    }

    private static void OpenBrowser(string url, TextWriter stderr)
    {
        try
        {
            var psi = OperatingSystem.IsWindows() ? new ProcessStartInfo(url) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url) { UseShellExecute = false };
            using var p = Process.Start(psi);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            stderr.WriteLine($"could not open a browser ({e.Message}); open the address above yourself");
        }
    }
}

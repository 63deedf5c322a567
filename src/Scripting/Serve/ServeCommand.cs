using System.Diagnostics;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Serve;

/// <summary><c>segplug serve</c>: the page and HTTP API until Ctrl+C.</summary>
public static class ServeCommand
{
    public const string Usage = ServeOptions.Usage;

    /// <summary>One SAM image embedding, [1,256,64,64] floats.</summary>
    private const long EmbeddingBytes = 256 * 64 * 64 * sizeof(float);

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var options = ServeOptions.Parse(argv);
        // The embedding cache holds no more images than the server does, so dropped images take their embeddings along.
        var engine = options.Model.Options(stderr) with { EmbeddingCacheBytes = (long)options.MaxImages * EmbeddingBytes };
        var sam = options.Model.EncoderPath is not null
            ? SamSession.Open(options.Model.EncoderPath, options.Model.DecoderPath!, engine)
            : await SamSession.OpenAsync(options.Model.ModelId ?? ModelIds.Default, engine, new ConsoleProgress(stderr), ct);
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

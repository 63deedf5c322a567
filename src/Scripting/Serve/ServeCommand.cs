using System.Diagnostics;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Serve;

/// <summary><c>segplug serve</c>: the page and HTTP API until Ctrl+C.</summary>
public static class ServeCommand
{
    /// <summary>One SAM image embedding, [1,256,64,64] floats.</summary>
    private const long EmbeddingBytes = 256 * 64 * 64 * sizeof(float);

    public static Command Create()
    {
        var images = new Argument<string[]>("IMAGE") { Description = "images to open at start (PNG, JPEG or BMP)", Arity = ArgumentArity.ZeroOrMore };
        images.Validators.Add(r =>
        {
            foreach (var image in r.GetValueOrDefault<string[]>() ?? [])
                if (!File.Exists(image)) r.AddError($"{image}: file not found");
        });
        var port = CliOptions.Int("--port", "PORT", "the TCP port (0: a free one)", ServeOptions.DefaultPort, 0, 65535);
        var host = new Option<string>("--host")
        {
            Description = "the address or name to listen on; loopback unless you say otherwise",
            HelpName = "ADDRESS",
            DefaultValueFactory = _ => ServeOptions.DefaultHost,
        };
        host.Validators.Add(r => { if (ServeOptions.HostError(r.GetValueOrDefault<string>()?.Trim() ?? "") is { } e) r.AddError("--host: " + e); });
        var token = new Option<string>("--token") { Description = "the access token every API call carries (default: a random one per start)", HelpName = "T" };
        token.Validators.Add(r => { if (r.GetValueOrDefault<string>() is { } t && ServeOptions.TokenError(t) is { } e) r.AddError("--token: " + e); });
        var maxImages = CliOptions.Int("--max-images", "N", "images held at once; the least recently used goes with its embedding", 8, 1, 256);
        var open = CliOptions.Flag("--open", "open the page in the default browser");
        var guide = CliOptions.OnOff("--subject-guide", "read each image's first click with the salient-object model (the measured default)", true);
        var model = new ModelOptions();
        var command = new Command("serve", """
            A local page (and HTTP API, see docs/http-api.md) to select objects by clicking: click = include, Alt-click or
            right-click = exclude, drag = box. Prints the page's address with its access token. Binds to loopback unless
            --host says otherwise; every API call needs the token (random per start unless --token gives one).
            """)
        { images, port, host, token, maxImages, open, guide };
        model.AddTo(command);
        command.SetAction((p, ct) => RunAsync(new ServeOptions(p.GetValue(images) ?? [], p.GetValue(host)!.Trim(), p.GetValue(port), model.Read(p),
            p.GetValue(token) ?? ServeOptions.NewToken(), p.GetValue(open)) { MaxImages = p.GetValue(maxImages), SubjectGuide = p.GetValue(guide) == CliOptions.Switch.On }, CommandIO.Of(p), ct));
        return command;
    }

    public static async Task<int> RunAsync(ServeOptions options, CommandIO io, CancellationToken ct)
    {
        var (stdout, stderr) = (io.Out, io.Err);
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

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Serve;

/// <summary>
/// The <c>segplug serve</c> host: Kestrel on loopback serving the page (embedded in this assembly) and the HTTP API
/// (<c>docs/http-api.md</c>). Every request's Host must name this server (DNS rebinding); every API call must carry
/// the bearer token; no CORS headers are ever sent, so other sites' pages cannot read answers.
/// </summary>
public sealed class SelectionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ImageStore _store;
    private readonly SamSession _sam;
    private readonly SubjectModel _subject;

    private SelectionServer(WebApplication app, ImageStore store, SamSession sam, SubjectModel subject, ServeOptions options)
    {
        _app = app;
        _store = store;
        _sam = sam;
        _subject = subject;
        Options = options;
    }

    public ServeOptions Options { get; }

    /// <summary>The running application (tests reach its test server through it).</summary>
    public WebApplication App => _app;

    /// <summary>Images held now.</summary>
    public int ImageCount => _store.Count;

    /// <summary>The port Kestrel listens on (the chosen one when the options asked for 0), or 0 when not on Kestrel.</summary>
    public int Port { get; private set; }

    /// <summary>The page's address with its token in the fragment (never sent to the server or in a Referer).</summary>
    public string PageUrl => $"http://{UrlHost(Options.Host)}:{Port}/#token={Options.Token}";

    /// <summary>
    /// Builds and starts the server over an open SAM session (which it then owns). <paramref name="configure"/> may
    /// replace Kestrel (tests use the in-memory test server). <paramref name="openSubject"/> opens the salient-object
    /// model on first need: an image's first-click prior (<see cref="ServeOptions.SubjectGuide"/>), "select subject".
    /// </summary>
    public static async Task<SelectionServer> StartAsync(ServeOptions options, SamSession sam, Func<CancellationToken, Task<SubjectSelector>> openSubject,
        TextWriter log, Action<IWebHostBuilder>? configure = null, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxImageBytes;
            foreach (var ip in ListenAddresses(options.Host)) k.Listen(ip, options.Port);
        });
        configure?.Invoke(builder.WebHost);
        var app = builder.Build();
        var subject = new SubjectModel(openSubject);
        var store = new ImageStore(sam, options.MaxImages, options.UndoLimit, subject, options.SubjectGuide, log);
        var server = new SelectionServer(app, store, sam, subject, options);
        var api = new ServeApi(store, options, subject, log);

        app.Use(server.GuardAsync);
        api.Map(app);
        PageAssets.Map(app);

        foreach (var path in options.Images)
        {
            using var file = File.OpenRead(path);
            var img = Core.Imaging.ImageIO.Load(file, path, options.ImageLimits);
            store.Add(Path.GetFileName(path), img);
        }
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            store.Dispose();
            subject.Dispose();
            await app.DisposeAsync();
            throw new Core.SegArgumentException("--port", $"{options.Host}:{options.Port} is already in use; stop the other server or pick another port (--port 0 picks a free one)");
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is not null)
            foreach (var a in addresses)
                if (Uri.TryCreate(a, UriKind.Absolute, out var u)) { server.Port = u.Port; break; }
        return server;
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled (Ctrl+C) or the host is asked to stop (SIGTERM).</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _app.Lifetime.ApplicationStopping);
        try { await Task.Delay(Timeout.Infinite, both.Token); }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _store.Dispose();
        _subject.Dispose();
        _sam.Dispose();
    }

    /// <summary>The Host check for every request and the token check for API calls.</summary>
    private async Task GuardAsync(HttpContext ctx, Func<Task> next)
    {
        var headers = ctx.Response.Headers;
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Frame-Options"] = "DENY";
        headers["Cache-Control"] = "no-store";
        if (!HostAllowed(ctx.Request.Host))
        {
            await ServeApi.Error(ctx, StatusCodes.Status403Forbidden,
                $"Host '{ctx.Request.Host}' is not this server's address; open the page at {UrlHost(Options.Host)}:{Port} (requests for other names are refused against DNS rebinding)");
            return;
        }
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            string auth = ctx.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal))
            {
                headers.WWWAuthenticate = "Bearer";
                await ServeApi.Error(ctx, StatusCodes.Status401Unauthorized,
                    "Authorization: missing; send 'Authorization: Bearer TOKEN' with the token segplug serve printed");
                return;
            }
            if (!TokenMatches(auth["Bearer ".Length..].Trim()))
            {
                headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                await ServeApi.Error(ctx, StatusCodes.Status401Unauthorized,
                    "Authorization: wrong token; use the token segplug serve printed at this start (a new one is made at each start unless --token sets it)");
                return;
            }
        }
        await next();
    }

    private bool TokenMatches(string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(Options.Token));

    /// <summary>
    /// Loopback servers answer only to localhost and their own address; others also to IP literals (a rebinding attack
    /// needs a DNS name). A port in the Host must be the one listened on.
    /// </summary>
    internal bool HostAllowed(HostString host)
    {
        if (!host.HasValue) return false;
        if (host.Port is { } p && Port != 0 && p != Port) return false;
        string name = host.Host.Trim('[', ']');
        string bound = Options.Host.Trim('[', ']');
        if (name.Equals(bound, StringComparison.OrdinalIgnoreCase)) return true;
        if (Options.IsLoopback)
            return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(name, out var ip) && IPAddress.IsLoopback(ip) && bound.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                || (IPAddress.TryParse(name, out var ip2) && IPAddress.TryParse(bound, out var b) && ip2.Equals(b));
        return IPAddress.TryParse(name, out _);
    }

    private static IEnumerable<IPAddress> ListenAddresses(string host)
    {
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback];
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip)) return [ip];
        return Dns.GetHostAddresses(host);
    }

    private static string UrlHost(string host) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host.Trim('[', ']')}]" : host;
}

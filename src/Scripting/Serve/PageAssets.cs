using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace SegPlugins.Scripting.Serve;

/// <summary>The page's files, embedded in this assembly (no CDN: the page works offline).</summary>
internal static class PageAssets
{
    private static readonly (string Path, string Resource, string Type)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Only this page's own files, images from blob URLs and calls to this server are allowed in the page.</summary>
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/favicon.ico", ctx => { ctx.Response.StatusCode = StatusCodes.Status204NoContent; return Task.CompletedTask; });
        foreach (var (path, resource, type) in Files)
        {
            var bytes = Read(resource);
            app.MapGet(path, async ctx =>
            {
                ctx.Response.ContentType = type;
                ctx.Response.Headers.ContentSecurityPolicy = Policy;
                await ctx.Response.Body.WriteAsync(bytes, ctx.RequestAborted);
            });
        }
    }

    internal static byte[] Read(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("SegPlugins.Serve.Page." + name)
            ?? throw new InvalidOperationException($"page file {name} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}

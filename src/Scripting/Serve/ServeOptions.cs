using System.Net;
using System.Security.Cryptography;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Serve;

/// <summary>The settings of <c>segplug serve</c>.</summary>
/// <param name="Images">Images to open at start (paths given on the command line; clients never send paths).</param>
/// <param name="Host">The address or name to bind; loopback (127.0.0.1) unless told otherwise.</param>
/// <param name="Port">The TCP port; 0 picks a free one.</param>
/// <param name="Model">The SAM model to select with.</param>
/// <param name="Token">The bearer token every API call must carry; a random one per start unless given.</param>
/// <param name="Open">Open the page in the default browser once the server listens.</param>
public sealed record ServeOptions(IReadOnlyList<string> Images, string Host, int Port, ModelArgs Model, string Token, bool Open)
{
    public const int DefaultPort = 7860;
    public const string DefaultHost = "127.0.0.1";

    /// <summary>
    /// Images held at once; the least recently used one is dropped (with its selection history and embedding) when
    /// another arrives. 8 embeddings of MobileSAM are 32 MiB; a 12 MP image with its history is about 100 MB more.
    /// </summary>
    public int MaxImages { get; init; } = 8;

    /// <summary>
    /// Largest image upload in bytes, checked before the body is read. 256 MiB holds a 100 MP PNG of a photo
    /// (the pixel limit below is what decides; this only stops bodies that could not be a valid image anyway).
    /// </summary>
    public long MaxImageBytes { get; init; } = 256L << 20;

    /// <summary>Largest JSON request body in bytes (a select request with 64 clicks is about 2 KB).</summary>
    public int MaxJsonBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Edits that can be undone per image. Each holds its selection and prediction (at 12 MP about 25 MB, at 1 MP
    /// about 3 MB), so this with <see cref="MaxImages"/> bounds the server's memory; older edits stay in the recipe.
    /// </summary>
    public int UndoLimit { get; init; } = 20;

    /// <summary>Most clicks one select request may carry (the same limit as a points sidecar).</summary>
    public int MaxPoints { get; init; } = Core.Segmentation.PromptSidecar.MaxPoints;

    /// <summary>The pixel limits checked from an image's header before it is decoded: the same as the CLI's.</summary>
    public ImageLoadOptions ImageLimits { get; init; } = ImageLoadOptions.Default;

    public const string Usage = """
        segplug serve [IMAGE...] [--port 7860] [--host 127.0.0.1] [--model ID | --encoder E.onnx --decoder D.onnx]
                      [--device auto|cpu|dml|cuda] [--token T] [--max-images 8] [--open]
          A local page (and HTTP API, see docs/http-api.md) to select objects by clicking: click = include,
          Alt-click or right-click = exclude, drag = box. Prints the page's address with its access token.
          Binds to loopback unless --host says otherwise; every API call needs the token (random per start
          unless --token gives one); --open opens the page in the default browser.
        """;

    private static readonly HashSet<string> Flags = new() { "--open" };

    /// <summary>Reads the command line (after the word <c>serve</c>).</summary>
    public static ServeOptions Parse(IReadOnlyList<string> argv)
    {
        var args = new ArgReader(argv, Flags);
        var model = ModelArgs.Read(args);
        int port = args.GetInt("--port", DefaultPort, 0, 65535);
        string host = (args.Get("--host") ?? DefaultHost).Trim();
        if (host.Length == 0 || host.Contains('/') || host.Contains(' '))
            throw new SegArgumentException("--host", $"'{host}' is not an address or host name to listen on (e.g. 127.0.0.1)");
        string? token = args.Get("--token");
        if (token is not null && (token.Length < 8 || token.Any(c => c is <= ' ' or > '~')))
            throw new SegArgumentException("--token", "must be at least 8 printable ASCII characters without spaces");
        int maxImages = args.GetInt("--max-images", 8, 1, 256);
        bool open = args.Flag("--open");
        args.RejectUnknown();
        foreach (var image in args.Positional)
            if (!File.Exists(image)) throw new SegInputException(image, "file not found");
        return new ServeOptions(args.Positional.ToArray(), host, port, model, token ?? NewToken(), open) { MaxImages = maxImages };
    }

    /// <summary>A random token: 128 bits, URL-safe.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <see cref="Host"/> is a loopback name or address.</summary>
    public bool IsLoopback => IsLoopbackName(Host);

    internal static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

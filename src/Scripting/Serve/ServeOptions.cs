using System.Net;
using System.Security.Cryptography;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting.Engine;

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

    /// <summary>
    /// Read each image's first click with the salient-object model, as <c>segplug eval</c>'s default <c>fused</c> does
    /// (default on). Off, clicks are read by SAM alone with colour refinement (<c>colors</c> in docs/evaluation.md:
    /// GrabCut mIoU after one click 0.700 against 0.867). A box drawn with the clicks is never read with the prior.
    /// </summary>
    public bool SubjectGuide { get; init; } = true;

    /// <summary>Most clicks one select request may carry (the same limit as a points sidecar).</summary>
    public int MaxPoints { get; init; } = Core.Segmentation.PromptSidecar.MaxPoints;

    /// <summary>The pixel limits checked from an image's header before it is decoded: the same as the CLI's.</summary>
    public ImageLoadOptions ImageLimits { get; init; } = ImageLoadOptions.Default;

    /// <summary>Checks a <c>--host</c> value: an address or host name, nothing that could be a URL or a list.</summary>
    internal static string? HostError(string host) =>
        host.Length == 0 || host.Contains('/') || host.Contains(' ')
            ? $"'{host}' is not an address or host name to listen on (e.g. 127.0.0.1)"
            : null;

    /// <summary>Checks a <c>--token</c> value.</summary>
    internal static string? TokenError(string token) =>
        token.Length < 8 || token.Any(c => c is <= ' ' or > '~') ? "must be at least 8 printable ASCII characters without spaces" : null;

    /// <summary>A random token: 128 bits, URL-safe.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <see cref="Host"/> is a loopback name or address.</summary>
    public bool IsLoopback => IsLoopbackName(Host);

    internal static bool IsLoopbackName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}

using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// A background written as <c>color:#RRGGBB</c> (or <c>#RRGGBBAA</c>), <c>image:PATH</c> or <c>blur:SIGMA</c>
/// (0 to 200 px). The text is checked whole before any image is read; the picture is loaded by <see cref="Resolve"/>.
/// </summary>
public sealed record BackgroundSpec(string Kind, byte R = 0, byte G = 0, byte B = 0, byte A = 255, string? ImagePath = null, float Sigma = 0)
{
    public const string Syntax = "color:#RRGGBB|image:PATH|blur:SIGMA";

    /// <summary>Null and an error message when the text is not a background.</summary>
    public static BackgroundSpec? TryParse(string text, out string? error)
    {
        error = null;
        int colon = text.IndexOf(':');
        if (colon <= 0)
        {
            error = $"expected color:#RRGGBB, image:PATH or blur:SIGMA, got \"{text}\"";
            return null;
        }
        string kind = text[..colon].Trim().ToLowerInvariant(), value = text[(colon + 1)..].Trim();
        switch (kind)
        {
            case "color" or "colour":
                string h = value.TrimStart('#');
                if ((h.Length != 6 && h.Length != 8) || !h.All(Uri.IsHexDigit))
                {
                    error = $"color needs #RRGGBB or #RRGGBBAA, got \"{value}\"";
                    return null;
                }
                byte At(int i) => byte.Parse(h.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                return new BackgroundSpec("color", At(0), At(2), At(4), h.Length == 8 ? At(6) : (byte)255);
            case "image":
                if (value.Length == 0) { error = "image needs a file path, e.g. image:studio.jpg"; return null; }
                return new BackgroundSpec("image", ImagePath: value);
            case "blur":
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && s <= 200)
                    return new BackgroundSpec("blur", Sigma: (float)s);
                error = $"blur needs a sigma from 0 to 200 pixels, got \"{value}\"";
                return null;
            default:
                error = $"unknown kind \"{kind}\"; expected color, image or blur";
                return null;
        }
    }

    public Background Resolve(Func<string, BgraImage> loadImage) => Kind switch
    {
        "color" => Background.Color(R, G, B, A),
        "image" => Background.Image(loadImage(ImagePath!)),
        _ => Background.Blur(Sigma),
    };
}

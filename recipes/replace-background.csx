// Replaces the background behind the main subject.
//
//   segplug run recipes/replace-background.csx shots/ --arg background=color:#ffffff
//   segplug run recipes/replace-background.csx shots/ --arg background=image:studio.jpg
//   segplug run recipes/replace-background.csx shots/ --arg background=blur:12
//
// Arguments (checked before the first image; 'segplug run recipes/replace-background.csx --help' lists them):
// @arg background: background = blur:10  what goes behind the subject: color:#RRGGBB (or #RRGGBBAA), image:PATH (cover-scaled), blur:SIGMA
// @arg feather: number = 2  soft edge width in pixels
// @arg grow: int = 0  grow (positive) or shrink (negative) the subject first, in pixels
//
// Output: {name}-bg.png.

string spec = Arg("background", "blur:10");
int colon = spec.IndexOf(':');
if (colon <= 0)
    throw new SegArgumentException("--arg background", $"expected color:#RRGGBB, image:PATH or blur:SIGMA, got \"{spec}\"");
string kind = spec[..colon].Trim().ToLowerInvariant();
string value = spec[(colon + 1)..].Trim();

Background background = kind switch
{
    "color" or "colour" => ParseColor(value),
    "image" => Background.Image(LoadImage(value)),
    "blur" => double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var sigma) && sigma >= 0 && sigma <= 200
        ? Background.Blur((float)sigma)
        : throw new SegArgumentException("--arg background", $"blur needs a sigma from 0 to 200 pixels, got \"{value}\""),
    _ => throw new SegArgumentException("--arg background", $"unknown kind \"{kind}\"; expected color, image or blur"),
};

static Background ParseColor(string hex)
{
    string h = hex.TrimStart('#');
    if ((h.Length != 6 && h.Length != 8) || !h.All(Uri.IsHexDigit))
        throw new SegArgumentException("--arg background", $"color needs #RRGGBB or #RRGGBBAA, got \"{hex}\"");
    byte At(int i) => Convert.ToByte(h.Substring(i, 2), 16);
    return Background.Color(At(0), At(2), At(4), h.Length == 8 ? At(6) : (byte)255);
}

int grow = ArgInt("grow", 0);
double feather = ArgDouble("feather", 2);
Mask mask = SelectSubject().Mask;
if (grow > 0) mask = mask.Grow(grow);
else if (grow < 0) mask = mask.Shrink(-grow);

BgraImage result = feather > 0
    ? ReplaceBackground(mask.Feather((float)feather), background)
    : ReplaceBackground(mask, background);
Save(result, "{name}-bg.png");

using System.CommandLine;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Compositing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug cutout</c>, after parsing.</summary>
public sealed record CutoutOptions(string Image, string Mask, BackgroundSpec? Background, bool Decontaminate, string Out)
{
    /// <summary>Solve an alpha matte around the mask's edge (hair, fur) and use its foreground colours.</summary>
    public bool Matte { get; init; }
}

/// <summary>
/// <c>segplug cutout --image IMG --mask MASK [--background ...] [--decontaminate] --out OUT.png</c>: the photo with
/// the mask as straight alpha, or composited over a colour, a picture (scaled to cover) or the photo blurred.
/// </summary>
public static class CutoutCommand
{
    public static Command Create()
    {
        var image = CliOptions.InputFile("--image", "IMG", "the photo (PNG, JPEG or BMP)", required: true);
        var mask = CliOptions.InputFile("--mask", "MASK.png", "the selection, same size: 8-bit PNG (soft values are alpha), .json (RLE or polygons) or .npy", required: true);
        var background = new Option<BackgroundSpec?>("--background")
        {
            Description = "composite over a colour, a picture (scaled to cover) or the photo blurred; without it the background is transparent",
            HelpName = BackgroundSpec.Syntax,
            CustomParser = r => BackgroundSpec.TryParse(r.Tokens[0].Value, out var error) ?? Fail(r, error!),
        };
        var decontaminate = CliOptions.Flag("--decontaminate", "re-estimate edge colours so the old background does not show through soft edges");
        var matte = CliOptions.Flag("--matte", "solve an alpha matte in a band around the mask's edge (hair, fur) and use its foreground colours");
        var output = CliOptions.OutputFile("--out", "OUT.png", "the result, RGBA PNG", required: true);
        var command = new Command("cutout", "Cut a selection out of a photo, or put it on a new background.") { image, mask, background, decontaminate, matte, output };
        command.Validators.Add(r =>
        {
            if (r.GetResult(matte) is not null && r.GetResult(decontaminate) is not null)
                r.AddError("--decontaminate: --matte already estimates the foreground colours; give one of them");
        });
        command.SetAction(p =>
        {
            Run(new CutoutOptions(p.GetRequiredValue(image), p.GetRequiredValue(mask), p.GetValue(background), p.GetValue(decontaminate), p.GetRequiredValue(output))
            {
                Matte = p.GetValue(matte),
            }, CommandIO.Of(p));
            return 0;
        });
        return command;
    }

    private static BackgroundSpec? Fail(System.CommandLine.Parsing.ArgumentResult r, string error)
    {
        r.AddError($"--background: {error}");
        return null;
    }

    public static void Run(CutoutOptions o, CommandIO io)
    {
        var inputs = new List<string> { o.Image, o.Mask };
        if (o.Background?.ImagePath is { } bg) inputs.Add(bg);
        var outputs = OutputPaths.Check(inputs, ("--out", o.Out));
        var img = ImageIO.Load(o.Image);
        var alpha = MaskFiles.Load(o.Mask, "--mask");
        if (alpha.Width != img.Width || alpha.Height != img.Height)
            throw new SegArgumentException("--mask", $"{o.Mask} is {alpha.Width}x{alpha.Height}; the image {o.Image} is {img.Width}x{img.Height}");
        BgraImage result;
        if (o.Matte)
        {
            // A mask file carries no model logits: the trimap is made from the selection's edge alone.
            var selection = alpha.ToMask();
            var matte = SelectionMatting.FromMask(img, selection);
            result = o.Background is { } bg2 ? matte.ReplaceBackground(bg2.Resolve(path => ImageIO.Load(path)), img) : matte.CutOut();
        }
        else
        {
            var options = new CutOutOptions(decontaminate: o.Decontaminate);
            result = o.Background is { } spec
                ? Compositor.ReplaceBackground(img, alpha, spec.Resolve(path => ImageIO.Load(path)), options)
                : Compositor.CutOut(img, alpha, options);
        }
        outputs.CreateFolders();
        ImageIO.SavePng(result, o.Out);
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{o.Image}: {img.Width}x{img.Height}, {(o.Background is null ? "cut out" : "background " + o.Background.Kind)}{(o.Decontaminate ? ", decontaminated" : "")}{(o.Matte ? ", matted" : "")} -> {o.Out}"));
    }
}

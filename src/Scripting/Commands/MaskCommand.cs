using System.CommandLine;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Masks;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary>The mask operations <c>segplug mask</c> offers, one per subcommand.</summary>
public enum MaskVerb { Grow, Shrink, Feather, Smooth, FillHoles, RemoveIslands, KeepLargest, Invert }

/// <summary>One <c>segplug mask VERB</c>, after parsing.</summary>
public sealed record MaskEditOptions(MaskVerb Verb, string Input, string Out, int? Px, long? Area, FeatherMode FeatherMode);

/// <summary>One <c>segplug mask combine</c>, after parsing.</summary>
public sealed record MaskCombineOptions(string A, string B, MaskCombineOp Op, string Out);

public enum MaskCombineOp { Union, Subtract, Intersect, Xor }

/// <summary>
/// <c>segplug mask grow|shrink|feather|smooth|fill-holes|remove-islands|keep-largest|invert IN --out OUT</c> and
/// <c>segplug mask combine A B --op ... --out OUT</c>: Core's mask verbs on files, so selections can be edited in a
/// shell pipeline of files. Masks are read as 8-bit PNG (or RLE/polygon JSON, .npy logits) and thresholded at 128
/// where the verb works on a hard selection; feather writes soft values.
/// </summary>
public static class MaskCommand
{
    private static readonly (MaskVerb Verb, string Name, string Description)[] Verbs =
    [
        (MaskVerb.Grow, "grow", "grow the selection by --px pixels (Euclidean: every pixel within --px of it)"),
        (MaskVerb.Shrink, "shrink", "shrink the selection by --px pixels (Euclidean; the image border does not erode)"),
        (MaskVerb.Feather, "feather", "soften the edge over --px pixels (--mode distance: a linear ramp centred on the edge; gaussian: sigma = px/2)"),
        (MaskVerb.Smooth, "smooth", "Gaussian blur of sigma --px, then threshold at 0.5 (rounds corners, removes jaggies)"),
        (MaskVerb.FillHoles, "fill-holes", "fill holes (unselected regions not touching the border) of at most --area pixels (default: all)"),
        (MaskVerb.RemoveIslands, "remove-islands", "remove selected regions smaller than --area pixels (8-connected)"),
        (MaskVerb.KeepLargest, "keep-largest", "keep only the largest selected region (8-connected)"),
        (MaskVerb.Invert, "invert", "select what is not selected (soft values are inverted too)"),
    ];

    public static Command Create()
    {
        var command = new Command("mask", "Edit mask files: grow, shrink, feather, smooth, fill holes, remove islands, keep the largest region, invert, combine.");
        foreach (var (verb, name, description) in Verbs) command.Subcommands.Add(Verb(verb, name, description));
        command.Subcommands.Add(Combine());
        return command;
    }

    private static Command Verb(MaskVerb verb, string name, string description)
    {
        var input = CliOptions.FileArgument("IN", "the mask to edit: .png (8-bit), .json (COCO RLE or polygons) or .npy (logits)");
        var output = CliOptions.OutputFile("--out", "OUT.png", "the edited mask: .png, .json (COCO RLE) or .svg (polygons)", required: true);
        var command = new Command(name, description) { input, output };
        Option<int>? px = null;
        Option<long?>? area = null;
        Option<FeatherMode>? mode = null;
        switch (verb)
        {
            case MaskVerb.Grow or MaskVerb.Shrink or MaskVerb.Feather or MaskVerb.Smooth:
                px = CliOptions.Int("--px", "N", verb switch
                {
                    MaskVerb.Feather => "edge width in pixels",
                    MaskVerb.Smooth => "blur sigma in pixels",
                    _ => "radius in pixels",
                }, 0, verb is MaskVerb.Grow or MaskVerb.Shrink ? 0 : 1, 4096);
                px.Required = true;
                px.DefaultValueFactory = null;
                command.Options.Add(px);
                if (verb == MaskVerb.Feather)
                {
                    mode = CliOptions.Choice("--mode", "edge profile", [("distance", FeatherMode.Distance), ("gaussian", FeatherMode.Gaussian)], FeatherMode.Distance);
                    command.Options.Add(mode);
                }
                break;
            case MaskVerb.FillHoles or MaskVerb.RemoveIslands:
                area = new Option<long?>("--area")
                {
                    Description = verb == MaskVerb.FillHoles ? "largest hole to fill, in pixels (default: every hole)" : "smallest region to keep, in pixels",
                    HelpName = "N",
                    Required = verb == MaskVerb.RemoveIslands,
                    CustomParser = r =>
                    {
                        string s = r.Tokens[0].Value;
                        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) && v >= 1) return v;
                        r.AddError($"--area: '{s}' is not a whole number of pixels, 1 or more");
                        return null;
                    },
                };
                command.Options.Add(area);
                break;
        }
        command.SetAction(p =>
        {
            Edit(new MaskEditOptions(verb, p.GetRequiredValue(input), p.GetRequiredValue(output),
                px is null ? null : p.GetValue(px), area is null ? null : p.GetValue(area), mode is null ? FeatherMode.Distance : p.GetValue(mode)), CommandIO.Of(p));
            return 0;
        });
        return command;
    }

    private static Command Combine()
    {
        var a = CliOptions.FileArgument("A", "the first mask");
        var b = CliOptions.FileArgument("B", "the second mask (same size)");
        var op = CliOptions.Choice("--op", "union: A or B; subtract: A and not B; intersect: A and B; xor: exactly one",
            [("union", MaskCombineOp.Union), ("subtract", MaskCombineOp.Subtract), ("intersect", MaskCombineOp.Intersect), ("xor", MaskCombineOp.Xor)],
            MaskCombineOp.Union, required: true);
        var output = CliOptions.OutputFile("--out", "OUT.png", "the combined mask: .png, .json (COCO RLE) or .svg (polygons)", required: true);
        var command = new Command("combine", "Combine two masks of the same size (soft values: max, min, min(a, 255-b); xor thresholds at 128).") { a, b, op, output };
        command.SetAction(p =>
        {
            Combine(new MaskCombineOptions(p.GetRequiredValue(a), p.GetRequiredValue(b), p.GetValue(op), p.GetRequiredValue(output)), CommandIO.Of(p));
            return 0;
        });
        return command;
    }

    public static void Edit(MaskEditOptions o, CommandIO io)
    {
        var outputs = OutputPaths.Check([o.Input], ("--out", o.Out));
        MaskFiles.CheckOutputName(o.Out, "--out");
        var soft = MaskFiles.Load(o.Input, "IN");
        SoftMask result = o.Verb switch
        {
            MaskVerb.Grow => soft.ToMask().Grow(o.Px!.Value).ToSoftMask(),
            MaskVerb.Shrink => soft.ToMask().Shrink(o.Px!.Value).ToSoftMask(),
            MaskVerb.Feather => soft.ToMask().Feather(o.Px!.Value, o.FeatherMode),
            MaskVerb.Smooth => soft.ToMask().Smooth(o.Px!.Value).ToSoftMask(),
            MaskVerb.FillHoles => (o.Area is { } max ? soft.ToMask().FillHoles(max) : soft.ToMask().FillAllHoles()).ToSoftMask(),
            MaskVerb.RemoveIslands => soft.ToMask().RemoveIslands(o.Area!.Value).ToSoftMask(),
            MaskVerb.KeepLargest => soft.ToMask().KeepLargestComponent().ToSoftMask(),
            MaskVerb.Invert => soft.Invert(),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Verb, null),
        };
        outputs.CreateFolders();
        MaskFiles.Save(result, o.Out, "--out");
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{o.Input}: {Describe(soft)} -> {o.Out}: {Describe(result)}"));
    }

    public static void Combine(MaskCombineOptions o, CommandIO io)
    {
        var outputs = OutputPaths.Check([o.A, o.B], ("--out", o.Out));
        MaskFiles.CheckOutputName(o.Out, "--out");
        var a = MaskFiles.Load(o.A, "A");
        var b = MaskFiles.Load(o.B, "B");
        if (a.Width != b.Width || a.Height != b.Height)
            throw new SegArgumentException("B", $"{o.B} is {b.Width}x{b.Height}; {o.A} is {a.Width}x{a.Height}; masks to combine must have the same size");
        var result = o.Op switch
        {
            MaskCombineOp.Union => a.Union(b),
            MaskCombineOp.Subtract => a.Subtract(b),
            MaskCombineOp.Intersect => a.Intersect(b),
            MaskCombineOp.Xor => a.ToMask().Xor(b.ToMask()).ToSoftMask(),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.Op, null),
        };
        outputs.CreateFolders();
        MaskFiles.Save(result, o.Out, "--out");
        io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{o.A} {o.Op.ToString().ToLowerInvariant()} {o.B} -> {o.Out}: {Describe(result)}"));
    }

    private static string Describe(SoftMask m)
    {
        long on = 0;
        foreach (byte v in m.Data) if (v >= 128) on++;
        return string.Create(CultureInfo.InvariantCulture, $"{m.Width}x{m.Height}, {on} px selected ({100.0 * on / Math.Max(1, m.Data.Length):0.0}%)");
    }
}

using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Geometry;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// The options that mean the same thing in every command, each built by one factory so that its name, value syntax,
/// validation and help text cannot drift apart between commands. A value is checked while parsing: a bad one is a
/// usage error naming the option, before any file is read.
/// </summary>
public static class CliOptions
{
    /// <summary>The value of an on/off option.</summary>
    public enum Switch { Off, On }

    /// <summary>An input file (<c>--image</c>, <c>--mask</c>, ...).</summary>
    public static Option<string> InputFile(string name, string helpName, string description, bool required = false)
    {
        var o = new Option<string>(name) { Description = description, HelpName = helpName, Required = required };
        o.Validators.Add(NotAnOption);
        return o;
    }

    /// <summary>An output file. A value that looks like an option (<c>--out --cutout x.png</c>) is refused, not written.</summary>
    public static Option<string> OutputFile(string name, string helpName, string description, bool required = false)
    {
        var o = new Option<string>(name) { Description = description, HelpName = helpName, Required = required };
        o.Validators.Add(NotAnOption);
        return o;
    }

    /// <summary>A file argument (positional) that must not look like an option.</summary>
    public static Argument<string> FileArgument(string name, string description)
    {
        var a = new Argument<string>(name) { Description = description };
        a.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
                if (t.Value.Length > 1 && t.Value[0] == '-' && !char.IsAsciiDigit(t.Value[1]))
                    r.AddError($"{name}: expected a file name, got '{t.Value}' (an unknown option?)");
        });
        return a;
    }

    /// <summary><c>--point X,Y[,1|0]</c>, repeatable: source pixels, third value 1 includes (default), 0 excludes.</summary>
    public static Option<PointPrompt[]> Points() => new("--point")
    {
        Description = "a click in source pixels; third value 1 includes (default), 0 excludes; repeat for clicks in order",
        HelpName = "X,Y[,1|0]",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
        CustomParser = r =>
        {
            var list = new List<PointPrompt>();
            foreach (var t in r.Tokens)
            {
                var v = Floats(r, "--point", t.Value, 2, 3);
                if (v is null) return [];
                bool positive = true;
                if (v.Length == 3)
                {
                    if (v[2] is not (0f or 1f))
                    {
                        r.AddError($"--point: '{t.Value}': the third value must be 1 (include) or 0 (exclude)");
                        return [];
                    }
                    positive = v[2] == 1f;
                }
                list.Add(new PointPrompt(v[0], v[1], positive));
            }
            return list.ToArray();
        },
    };

    /// <summary><c>--box X0,Y0,X1,Y1</c> in source pixels.</summary>
    public static Option<BoxXyxy?> Box() => new("--box")
    {
        Description = "a box prompt in source pixels (left, top, right, bottom)",
        HelpName = "X0,Y0,X1,Y1",
        CustomParser = r =>
        {
            var v = Floats(r, "--box", r.Tokens[0].Value, 4, 4);
            return v is null ? null : new BoxXyxy(v[0], v[1], v[2], v[3]);
        },
    };

    /// <summary><c>--device auto|cpu|dml|cuda</c>: the execution provider; a missing one falls back to the CPU with a notice.</summary>
    public static Option<DeviceSpec> Device()
    {
        var o = new Option<DeviceSpec>("--device")
        {
            Description = "execution provider, dml:N / cuda:N for one GPU; a missing one falls back to the CPU with a notice",
            HelpName = "auto|cpu|dml[:N]|cuda[:N]",
            DefaultValueFactory = _ => new DeviceSpec(ExecutionDevice.Auto),
            CustomParser = r =>
            {
                try { return DeviceSpec.Parse(r.Tokens[0].Value); }
                catch (SegArgumentException e) { r.AddError(e.Message); return new DeviceSpec(ExecutionDevice.Auto); }
            },
        };
        o.CompletionSources.Add("auto", "cpu", "dml", "cuda");
        return o;
    }

    public static Option<ModelPrecision> Precision(string name = "--precision",
        string description = "the SAM image encoder's precision: int8 is made from the verified fp32 file on first use")
    {
        var o = new Option<ModelPrecision>(name)
        {
            Description = description,
            HelpName = "fp32|int8",
            DefaultValueFactory = _ => ModelPrecision.Fp32,
            CustomParser = r =>
            {
                try { return ModelPrecisions.Parse(r.Tokens[0].Value, name); }
                catch (SegArgumentException e) { r.AddError(e.Message); return ModelPrecision.Fp32; }
            },
        };
        o.CompletionSources.Clear();
        o.CompletionSources.Add("fp32", "int8");
        return o;
    }

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<int> Int(string name, string helpName, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => ParseInt(r, name, min, max),
    };

    /// <summary>An optional whole number in <paramref name="min"/>..<paramref name="max"/> (null when not given).</summary>
    public static Option<int?> OptionalInt(string name, string helpName, string description, int min, int max) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => ParseInt(r, name, min, max),
    };

    /// <summary>A finite number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Option<double> Double(string name, string helpName, string description, double defaultValue, double min = double.MinValue, double max = double.MaxValue) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r =>
        {
            string s = r.Tokens[0].Value;
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v) || v < min || v > max)
                return Error(r, min == double.MinValue ? $"{name}: '{s}' is not a number" : $"{name}: '{s}' is not a number from {Fmt(min)} to {Fmt(max)}", defaultValue);
            return v;
        },
    };

    /// <summary>
    /// <c>on|off</c> (also true/false, yes/no). Typed as <see cref="Switch"/>, not bool: the parser lets a bool option
    /// take only true/false as its value and would leave "off" behind as a stray argument. With
    /// <paramref name="bareMeansOn"/> the option alone (no value) means on: for an option that was a flag before.
    /// </summary>
    public static Option<Switch> OnOff(string name, string description, bool defaultValue, bool bareMeansOn = false)
    {
        var fallback = defaultValue ? Switch.On : Switch.Off;
        var o = new Option<Switch>(name)
        {
            Description = description,
            HelpName = "on|off",
            Arity = bareMeansOn ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            // The option given alone (no value) reaches the default's factory, not the parser: it means on there too.
            DefaultValueFactory = r => bareMeansOn && r.Parent is OptionResult { Implicit: false } ? Switch.On : fallback,
            CustomParser = r => r.Tokens.Count == 0 ? Switch.On : r.Tokens[0].Value.Trim().ToLowerInvariant() switch
            {
                "on" or "true" or "yes" => Switch.On,
                "off" or "false" or "no" => Switch.Off,
                var other => Error(r, $"{name}: '{other}' is not on or off", fallback),
            },
        };
        o.CompletionSources.Clear();
        o.CompletionSources.Add("on", "off");
        return o;
    }

    /// <summary>A flag (present or not).</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>One of a fixed set of words, mapped to a value (case-insensitive).</summary>
    public static Option<T> Choice<T>(string name, string description, IReadOnlyList<(string Word, T Value)> words, T defaultValue, bool required = false)
    {
        var o = new Option<T>(name)
        {
            Description = description,
            HelpName = string.Join('|', words.Select(w => w.Word)),
            Required = required,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string s = r.Tokens[0].Value.Trim();
                foreach (var (k, v) in words)
                    if (string.Equals(k, s, StringComparison.OrdinalIgnoreCase)) return v;
                return Error(r, $"{name}: '{s}' is not one of {string.Join(", ", words.Select(w => w.Word))}", defaultValue);
            },
        };
        o.CompletionSources.Clear();
        o.CompletionSources.Add(words.Select(w => w.Word).ToArray());
        return o;
    }

    /// <summary>Refuses a value that is itself an option name, so <c>--out --cutout x.png</c> cannot write a file named --cutout.</summary>
    public static void NotAnOption(OptionResult r)
    {
        foreach (var t in r.Tokens)
            if (t.Value.Length > 1 && t.Value[0] == '-' && !char.IsAsciiDigit(t.Value[1]))
                r.AddError($"{r.IdentifierToken?.Value ?? r.Option.Name}: expected a file name, got '{t.Value}' (an option?)");
    }

    internal static float[]? Floats(ArgumentResult r, string option, string text, int minCount, int maxCount)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length < minCount || parts.Length > maxCount)
        {
            r.AddError($"{option}: '{text}' should have {(minCount == maxCount ? minCount.ToString(CultureInfo.InvariantCulture) : $"{minCount} to {maxCount}")} comma-separated numbers");
            return null;
        }
        var v = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
            {
                r.AddError($"{option}: '{parts[i]}' in '{text}' is not a finite number");
                return null;
            }
        return v;
    }

    private static int ParseInt(ArgumentResult r, string name, int min, int max)
    {
        string s = r.Tokens[0].Value;
        if (!int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            return Error(r, $"{name}: '{s}' is not a whole number from {min} to {max}", min);
        return v;
    }

    private static T Error<T>(ArgumentResult r, string message, T fallback)
    {
        r.AddError(message);
        return fallback;
    }

    private static string Fmt(double v) => v.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;
using System.Text.RegularExpressions;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Recipes;

/// <summary>The kinds of value a recipe argument takes.</summary>
internal enum RecipeArgumentType { String, Int, Number, Bool, Background, Choice, Point, Box }

/// <summary>One <c>// @arg</c> declaration of a recipe.</summary>
internal sealed record RecipeArgument(string Name, RecipeArgumentType Type, string? Default, string Help, IReadOnlyList<string> Choices, int Line, bool Optional = false)
{
    /// <summary>Without a default and not marked optional (<c>TYPE?</c>), the run needs it.</summary>
    public bool Required => Default is null && !Optional;

    public string TypeText => Type switch
    {
        RecipeArgumentType.Choice => string.Join('|', Choices),
        RecipeArgumentType.Background => BackgroundSpec.Syntax,
        RecipeArgumentType.Number => "number",
        RecipeArgumentType.Point => "X,Y",
        RecipeArgumentType.Box => "X0,Y0,X1,Y1",
        _ => Type.ToString().ToLowerInvariant(),
    };

    /// <summary>Null when <paramref name="value"/> suits this argument, else what is wrong with it.</summary>
    public string? Check(string value, string baseDirectory)
    {
        string v = value.Trim();
        switch (Type)
        {
            case RecipeArgumentType.Int:
                return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? null : $"expected an integer, got \"{value}\"";
            case RecipeArgumentType.Number:
                return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) ? null : $"expected a number such as 2.5, got \"{value}\"";
            case RecipeArgumentType.Bool:
                return v.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "1" or "0" or "on" or "off" ? null : $"expected true or false, got \"{value}\"";
            case RecipeArgumentType.Choice:
                return Choices.Contains(v, StringComparer.OrdinalIgnoreCase) ? null : $"expected one of {string.Join(", ", Choices)}, got \"{value}\"";
            case RecipeArgumentType.Point or RecipeArgumentType.Box:
                int n = Type == RecipeArgumentType.Point ? 2 : 4;
                var parts = v.Split(',', StringSplitOptions.TrimEntries);
                return parts.Length == n && parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x))
                    ? null : $"expected {TypeText} in pixels, got \"{value}\"";
            case RecipeArgumentType.Background:
                if (BackgroundSpec.TryParse(v, out var error) is not { } spec) return error;
                if (spec.ImagePath is { } p && !File.Exists(Path.GetFullPath(p, baseDirectory))) return $"image file not found: {p}";
                return null;
            default:
                return null;
        }
    }
}

/// <summary>
/// The arguments a recipe declares in comment lines, read before anything is compiled or run:
/// <code>// @arg NAME: TYPE [= DEFAULT]  HELP</code>
/// TYPE is <c>string</c>, <c>int</c>, <c>number</c>, <c>bool</c>, <c>point</c> (X,Y), <c>box</c> (X0,Y0,X1,Y1),
/// <c>background</c> (color:#RRGGBB, image:PATH or blur:SIGMA) or <c>choice(a|b|c)</c>; <c>TYPE?</c> is optional without
/// a default; otherwise an argument without a default is required. A run checks every <c>--arg</c>
/// against the declarations first, so a bad or missing value stops it before the first image with one message; a
/// recipe that declares nothing takes any <c>--arg</c>, as before.
/// </summary>
internal static partial class RecipeArguments
{
    [GeneratedRegex(@"^\s*//\s*@arg\s+(?<name>[A-Za-z][A-Za-z0-9_-]*)\s*:\s*(?<type>[a-z]+(\([^)]*\))?)(?<optional>\?)?\s*(=\s*(?<default>\S+))?\s*(?<help>.*)$")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"^\s*//\s*@arg\b")]
    private static partial Regex DeclarationStart();

    /// <summary>The declarations in the recipe's own file, in order; malformed ones are reported, not skipped.</summary>
    public static IReadOnlyList<RecipeArgument> Read(string recipeText, string recipePath, out IReadOnlyList<string> errors)
    {
        var list = new List<RecipeArgument>();
        var problems = new List<string>();
        var lines = recipeText.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (!DeclarationStart().IsMatch(line)) continue;
            var m = Declaration().Match(line);
            string where = $"{recipePath}({i + 1})";
            if (!m.Success)
            {
                problems.Add($"{where}: expected '// @arg NAME: TYPE [= DEFAULT]  HELP', got \"{line.Trim()}\"");
                continue;
            }
            string name = m.Groups["name"].Value, typeText = m.Groups["type"].Value;
            string? def = m.Groups["default"].Success ? m.Groups["default"].Value : null;
            RecipeArgumentType type;
            IReadOnlyList<string> choices = [];
            if (typeText.StartsWith("choice(", StringComparison.Ordinal))
            {
                type = RecipeArgumentType.Choice;
                choices = typeText[7..^1].Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (choices.Count == 0) { problems.Add($"{where}: choice() needs its words, e.g. choice(fast|best)"); continue; }
            }
            else
            {
                RecipeArgumentType? t = typeText switch
                {
                    "string" => RecipeArgumentType.String,
                    "int" => RecipeArgumentType.Int,
                    "number" => RecipeArgumentType.Number,
                    "bool" => RecipeArgumentType.Bool,
                    "background" => RecipeArgumentType.Background,
                    "point" => RecipeArgumentType.Point,
                    "box" => RecipeArgumentType.Box,
                    _ => null,
                };
                if (t is null) { problems.Add($"{where}: unknown type \"{typeText}\"; expected string, int, number, bool, point, box, background or choice(a|b)"); continue; }
                type = t.Value;
            }
            if (list.Any(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"{where}: argument {name} is declared twice");
                continue;
            }
            var arg = new RecipeArgument(name, type, def, m.Groups["help"].Value.Trim(), choices, i + 1, m.Groups["optional"].Success);
            // A default must itself be valid (an image default is checked when used: its file may be relative to the run).
            if (def is not null && type != RecipeArgumentType.Background && arg.Check(def, ".") is { } bad)
            {
                problems.Add($"{where}: the default of {name}: {bad}");
                continue;
            }
            list.Add(arg);
        }
        errors = problems;
        return list;
    }

    /// <summary>Every problem with the given <c>--arg</c>s: unknown, missing or unsuitable values, each naming its argument.</summary>
    public static IReadOnlyList<string> Check(IReadOnlyList<RecipeArgument> declared, IReadOnlyDictionary<string, string> given, string baseDirectory, string recipeName)
    {
        var problems = new List<string>();
        if (declared.Count == 0) return problems;
        foreach (var (key, value) in given)
        {
            var arg = declared.FirstOrDefault(a => string.Equals(a.Name, key, StringComparison.OrdinalIgnoreCase));
            if (arg is null)
                problems.Add($"--arg {key}: {recipeName} has no such argument; it takes {string.Join(", ", declared.Select(a => a.Name))}");
            else if (arg.Check(value, baseDirectory) is { } error)
                problems.Add($"--arg {arg.Name}: {error}");
        }
        foreach (var a in declared.Where(a => a.Required && !given.Keys.Contains(a.Name, StringComparer.OrdinalIgnoreCase)))
            problems.Add($"--arg {a.Name}: is required by {recipeName} ({a.TypeText}); pass --arg {a.Name}=VALUE");
        return problems;
    }

    /// <summary>The "Recipe arguments" section of <c>segplug run RECIPE --help</c>.</summary>
    public static void WriteHelp(string recipePath, TextWriter w)
    {
        string text;
        try { text = File.ReadAllText(recipePath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            w.WriteLine($"{recipePath}: cannot read the recipe: {e.Message}");
            return;
        }
        var args = Read(text, recipePath, out var errors);
        w.WriteLine($"Recipe arguments ({Path.GetFileName(recipePath)}, as --arg NAME=VALUE):");
        if (args.Count == 0) w.WriteLine("  none declared (the recipe declares its arguments with '// @arg NAME: TYPE [= DEFAULT]  HELP')");
        int width = args.Count == 0 ? 0 : args.Max(a => a.Name.Length + a.TypeText.Length + 3);
        foreach (var a in args)
            w.WriteLine($"  {(a.Name + " <" + a.TypeText + ">").PadRight(width)}  {a.Help}{(a.Required ? " (required)" : a.Default is null ? " (optional)" : $" [default: {a.Default}]")}");
        foreach (var e in errors) w.WriteLine("  " + e);
    }
}

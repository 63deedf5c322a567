using System.Globalization;
using SegPlugins.Core;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// A small command-line reader: <c>--name value</c>, <c>--name=value</c>, repeated options and flags. Unknown
/// options are errors that name the option, so a typo never silently changes a batch.
/// </summary>
public sealed class ArgReader
{
    private readonly List<(string Name, string? Value)> _options = new();
    private readonly HashSet<int> _used = new();

    public ArgReader(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string a = list[i];
            if (a == "--")
            {
                Positional.AddRange(list.Skip(i + 1));
                break;
            }
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                int eq = a.IndexOf('=');
                if (eq > 0) { _options.Add((a[..eq], a[(eq + 1)..])); continue; }
                if (flags.Contains(a)) { _options.Add((a, null)); continue; }
                if (i + 1 >= list.Count) throw new SegArgumentException(a, "needs a value");
                _options.Add((a, list[++i]));
            }
            else Positional.Add(a);
        }
    }

    public List<string> Positional { get; } = new();

    public bool Flag(string name)
    {
        bool found = false;
        for (int i = 0; i < _options.Count; i++)
            if (_options[i].Name == name) { _used.Add(i); found = true; }
        return found;
    }

    public string? Get(string name)
    {
        string? v = null;
        for (int i = 0; i < _options.Count; i++)
            if (_options[i].Name == name)
            {
                _used.Add(i);
                v = _options[i].Value ?? throw new SegArgumentException(name, "needs a value");
            }
        return v;
    }

    public string Require(string name, string what) => Get(name) ?? throw new SegArgumentException(name, $"is required ({what})");

    public IReadOnlyList<string> GetAll(string name)
    {
        var r = new List<string>();
        for (int i = 0; i < _options.Count; i++)
            if (_options[i].Name == name)
            {
                _used.Add(i);
                r.Add(_options[i].Value ?? throw new SegArgumentException(name, "needs a value"));
            }
        return r;
    }

    public int GetInt(string name, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var s = Get(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new SegArgumentException(name, $"'{s}' is not a whole number in {min}..{max}");
        return v;
    }

    /// <summary>Throws for any option that no one asked for.</summary>
    public void RejectUnknown()
    {
        for (int i = 0; i < _options.Count; i++)
            if (!_used.Contains(i))
                throw new SegArgumentException(_options[i].Name, "is not an option of this command; see 'segplug help'");
    }

    public static float[] ParseFloats(string text, string option, int minCount, int maxCount)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length < minCount || parts.Length > maxCount)
            throw new SegArgumentException(option, $"'{text}' should have {(minCount == maxCount ? minCount.ToString(CultureInfo.InvariantCulture) : $"{minCount} to {maxCount}")} comma-separated numbers");
        var r = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out r[i]))
                throw new SegArgumentException(option, $"'{parts[i]}' in '{text}' is not a number");
        return r;
    }
}

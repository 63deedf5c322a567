using System.Globalization;
using System.Text;
using SegPlugins.Core;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Expands output name templates: <c>{name}</c> and <c>{stem}</c> (input file name without extension),
/// <c>{ext}</c> (input extension without the dot), <c>{index}</c> (1-based position of the input in the sorted
/// input list, stable across --shard runs). <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
internal static class OutputNames
{
    public static string Expand(string template, string stem, string ext, int index)
    {
        if (string.IsNullOrWhiteSpace(template))
            throw new SegArgumentException("nameTemplate", "is empty; expected a file name such as \"{name}.png\"");
        var sb = new StringBuilder(template.Length + 16);
        for (int i = 0; i < template.Length; i++)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c == '{')
            {
                int end = template.IndexOf('}', i + 1);
                if (end < 0)
                    throw new SegArgumentException("nameTemplate", $"\"{template}\" has an unclosed '{{'");
                string key = template.Substring(i + 1, end - i - 1);
                sb.Append(key switch
                {
                    "name" or "stem" => stem,
                    "ext" => ext,
                    "index" => index.ToString(CultureInfo.InvariantCulture),
                    _ => throw new SegArgumentException("nameTemplate", $"\"{template}\" uses unknown placeholder {{{key}}}; use {{name}}, {{stem}}, {{ext}} or {{index}}"),
                });
                i = end;
                continue;
            }
            if (c == '}')
                throw new SegArgumentException("nameTemplate", $"\"{template}\" has a stray '}}'; write '}}}}' for a literal brace");
            sb.Append(c);
        }
        string name = sb.ToString();
        if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.Trim().Length == 0)
            throw new SegArgumentException("nameTemplate", $"\"{template}\" gives \"{name}\", which is not a plain file name; outputs go straight into the output directory");
        return name;
    }
}

using SegPlugins.Core;
using System.Text.Json;
using System.Text.Json.Serialization;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Evaluation;

/// <summary>
/// Reads <see cref="ClickChainOptions"/> from a JSON file with the record's property names (nested
/// <c>Subject</c> and <c>ColorRefine</c> records alike; enums by name), so that a variant of the click chain can be
/// measured without a rebuild. Properties left out keep their defaults; unknown ones are errors.
/// </summary>
public static class ClickChainOptionsFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        Converters = { new JsonStringEnumConverter() },
        MaxDepth = 8,
    };

    public static ClickChainOptions Parse(string json, string source = "click options")
    {
        ClickChainOptions? options;
        try
        {
            options = JsonSerializer.Deserialize<ClickChainOptions>(json, Json);
        }
        catch (JsonException e)
        {
            throw new SegArgumentException(source, $"is not valid click-chain options: {e.Message}");
        }
        if (options is null) throw new SegArgumentException(source, "holds null; expected a JSON object of click-chain options");
        options.Validate();
        return options;
    }

    public static ClickChainOptions Read(string path)
    {
        if (!File.Exists(path)) throw new SegArgumentException("--click-options", $"{path} does not exist");
        var info = new FileInfo(path);
        if (info.Length > 1 << 20) throw new SegArgumentException("--click-options", $"{path} is {info.Length} bytes; click options are a small JSON object");
        return Parse(File.ReadAllText(path), path);
    }
}

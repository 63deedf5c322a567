using SegPlugins.Core;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// The outputs of one command: checked against its inputs before any work (an output never overwrites an input), and
/// their folders created just before the first write.
/// </summary>
public sealed class OutputPaths
{
    private readonly List<string> _outputs;

    private OutputPaths(List<string> outputs) => _outputs = outputs;

    /// <summary>Checks that no output is one of the inputs (or another output); nulls are outputs not asked for.</summary>
    public static OutputPaths Check(IReadOnlyList<string> inputs, params (string Option, string? Path)[] outputs)
    {
        var list = new List<string>();
        foreach (var (option, path) in outputs)
        {
            if (path is null) continue;
            foreach (var input in inputs)
                if (SamePath(path, input))
                    throw new SegArgumentException(option, $"{path} is an input; outputs never overwrite an input");
            if (list.Any(o => SamePath(o, path)))
                throw new SegArgumentException(option, $"{path} is given for two outputs");
            list.Add(path);
        }
        return new OutputPaths(list);
    }

    /// <summary>Creates the folder of every output (after the work, so a failed command leaves no empty folders).</summary>
    public void CreateFolders()
    {
        foreach (var o in _outputs)
            if (Path.GetDirectoryName(Path.GetFullPath(o)) is { } dir) Directory.CreateDirectory(dir);
    }

    public static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}

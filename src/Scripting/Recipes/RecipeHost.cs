using System.Collections.Concurrent;
using SegPlugins.Core;

namespace SegPlugins.Scripting.Recipes;

/// <summary>One input of a run. <paramref name="RelativePath"/> uses '/' and decides the output sub-folder.</summary>
internal sealed record RecipeInput(string FullPath, string RelativePath, int Index)
{
    public string Stem => Path.GetFileNameWithoutExtension(FullPath);
    public string Extension => Path.GetExtension(FullPath).TrimStart('.');
    public string RelativeDirectory => RelativePath.Contains('/') ? RelativePath[..RelativePath.LastIndexOf('/')] : "";
}

/// <summary>What every item of one run shares: where outputs go, the arguments, the engine, and the I/O seams.</summary>
internal sealed class RecipeHost
{
    public required string OutputDir { get; init; }
    public required IReadOnlyDictionary<string, string> Args { get; init; }
    public required IRecipeFileSystem FileSystem { get; init; }
    public required IImageCodec Codec { get; init; }
    public SharedSegmenter? Segmenter { get; init; }

    /// <summary>Pixel limits of every image a recipe reads (<c>--max-megapixels</c>), checked from the header before decoding.</summary>
    public Core.Imaging.ImageLoadOptions InputLimits { get; init; } = Core.Imaging.ImageLoadOptions.Default;

    /// <summary>Relative paths given to <see cref="RecipeGlobals.LoadImage"/> resolve against this (the run's current directory).</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Images loaded with <see cref="RecipeGlobals.LoadImage"/>, shared by all items (one background for a whole batch).</summary>
    public ConcurrentDictionary<string, Lazy<Core.Imaging.BgraImage>> SharedImages { get; } = new(RecipeSource.PathComparer);

    /// <summary>Inputs and recipe files: never written over.</summary>
    public required IReadOnlySet<string> ProtectedPaths { get; init; }

    public Action<RecipeInput, string> Log { get; init; } = static (_, _) => { };
    public Action<RecipeInput, double> Progress { get; init; } = static (_, _) => { };

    /// <summary>Output path → input that claimed it in this run; two inputs writing one file is an error, not a race.</summary>
    public ConcurrentDictionary<string, string> ClaimedOutputs { get; } = new(RecipeSource.PathComparer);
}

/// <summary>
/// An item's outputs, written to temporary files beside their final names and renamed into place only when the
/// recipe finishes. A recipe that throws or is cancelled leaves nothing behind, not even the files it saved before.
/// </summary>
internal sealed class StagedOutputs
{
    private readonly RecipeHost _host;
    private readonly RecipeInput _input;
    private readonly List<(string Temp, string Final)> _staged = [];
    private readonly object _gate = new();

    public StagedOutputs(RecipeHost host, RecipeInput input)
    {
        _host = host;
        _input = input;
    }

    public string Stage(string nameTemplate, Action<Stream> write)
    {
        string name = OutputNames.Expand(nameTemplate, _input.Stem, _input.Extension, _input.Index);
        string dir = _input.RelativeDirectory.Length == 0 ? _host.OutputDir : Path.Combine(_host.OutputDir, _input.RelativeDirectory);
        string final = Path.GetFullPath(Path.Combine(dir, name));
        if (_host.ProtectedPaths.Contains(final))
            throw new SegArgumentException("nameTemplate", $"\"{nameTemplate}\" would overwrite {final}, which is an input of this run; choose another name or output directory");
        string owner = _host.ClaimedOutputs.GetOrAdd(final, _input.FullPath);
        if (!RecipeSource.PathComparer.Equals(owner, _input.FullPath))
            throw new SegArgumentException("nameTemplate", $"\"{nameTemplate}\" gives {final}, already written for input {owner}; add {{index}} or {{ext}} to the template to tell them apart");

        _host.FileSystem.CreateDirectory(dir);
        string temp;
        try
        {
            using var stream = _host.FileSystem.CreateTemp(dir, name, out temp);
            try
            {
                write(stream);
                stream.Flush();
                if (stream is FileStream fs) fs.Flush(flushToDisk: true);
            }
            catch
            {
                stream.Dispose();
                _host.FileSystem.DeleteIfExists(temp);
                throw;
            }
        }
        catch (IOException e)
        {
            throw new SegException($"writing {final} failed: {e.Message}", e);
        }

        lock (_gate)
        {
            // Saving one name twice keeps the later file.
            int i = _staged.FindIndex(s => RecipeSource.PathComparer.Equals(s.Final, final));
            if (i >= 0)
            {
                _host.FileSystem.DeleteIfExists(_staged[i].Temp);
                _staged.RemoveAt(i);
            }
            _staged.Add((temp, final));
        }
        return final;
    }

    /// <summary>Moves every staged file into place. If a move fails, the not-yet-moved ones are removed.</summary>
    public IReadOnlyList<string> Commit()
    {
        lock (_gate)
        {
            var done = new List<string>(_staged.Count);
            try
            {
                foreach (var (temp, final) in _staged)
                {
                    _host.FileSystem.Move(temp, final);
                    done.Add(final);
                }
                _staged.Clear();
                return done;
            }
            catch (IOException e)
            {
                Rollback();
                throw new SegException($"moving outputs into place failed: {e.Message}", e);
            }
        }
    }

    public void Rollback()
    {
        lock (_gate)
        {
            foreach (var (temp, _) in _staged) _host.FileSystem.DeleteIfExists(temp);
            _staged.Clear();
        }
    }
}

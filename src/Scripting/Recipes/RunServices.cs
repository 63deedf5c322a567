namespace SegPlugins.Scripting.Recipes;

/// <summary>The outside world of a run: file system, image codec, engine, cache and clock-free settings. Tests replace parts.</summary>
internal sealed record RunServices
{
    public required IRecipeFileSystem FileSystem { get; init; }
    public required IImageCodec Codec { get; init; }

    /// <summary>Opens the shared segmentation engine (model notices go to the writer); called at most once per run, and only if a recipe segments.</summary>
    public required Func<Engine.ModelArgs, TextWriter, CancellationToken, Task<IRecipeSegmenter>> OpenSegmenter { get; init; }

    public required RecipeCache Cache { get; init; }
    public string CurrentDirectory { get; init; } = System.Environment.CurrentDirectory;

    /// <summary>Reads an environment variable (the scheduler's shard variables); tests pass their own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Null: a bar when stderr is the console and not redirected, plain lines otherwise.</summary>
    public bool? InteractiveProgress { get; init; }

    /// <summary>Called on a worker thread after every finished input (the long-run bench samples memory here).</summary>
    public Action<RecipeResult>? ItemFinished { get; init; }

    public static RunServices Default() => new()
    {
        FileSystem = RecipeFileSystem.Instance,
        Codec = CoreEngine.Codec,
        OpenSegmenter = CoreEngine.OpenSegmenterAsync,
        Cache = new RecipeCache(RecipeCache.DefaultDirectory()),
    };
}

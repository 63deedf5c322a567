namespace SegPlugins.Scripting.Recipes;

/// <summary>How one recipe run over one input ended.</summary>
public enum RecipeStatus
{
    /// <summary>The recipe ran to the end; its outputs were committed.</summary>
    Success,
    /// <summary>The recipe did not compile (or failed the --restricted check); see <see cref="RecipeResult.Diagnostics"/>.</summary>
    CompileFailed,
    /// <summary>The recipe threw; nothing it saved was kept.</summary>
    Faulted,
    /// <summary>The run was cancelled; nothing the recipe saved was kept.</summary>
    Cancelled,
}

/// <summary>The outcome of running a recipe once (over one input, or the compile step for all of them).</summary>
/// <param name="Status">How it ended.</param>
/// <param name="InputPath">The input image, or null for a compile failure.</param>
/// <param name="Outputs">Files written (final paths), empty unless <see cref="RecipeStatus.Success"/>.</param>
/// <param name="Error">Why it failed, for people: exception message plus recipe location when known.</param>
/// <param name="Diagnostics">Compiler and --restricted messages.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record RecipeResult(
    RecipeStatus Status,
    string? InputPath,
    IReadOnlyList<string> Outputs,
    string? Error,
    IReadOnlyList<RecipeDiagnostic> Diagnostics,
    TimeSpan Elapsed)
{
    /// <summary>True for <see cref="RecipeStatus.Success"/>.</summary>
    public bool Succeeded => Status == RecipeStatus.Success;
}

using System.ComponentModel;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Host plumbing that compiled recipes call; recipes never call it themselves. Public only because the compiled
/// recipe is a separate assembly.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class RecipeRuntime
{
    // AsyncLocal rather than a field of the globals: the checkpoint is static (see CheckpointRewriter) and must find
    // the token of the item whose code is running, also on threads the recipe starts itself (execution context flows).
    private static readonly AsyncLocal<CancellationToken> s_token = new();

    internal static CancellationToken Current
    {
        get => s_token.Value;
        set => s_token.Value = value;
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> when the running recipe item has been cancelled.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
#pragma warning disable IDE1006 // the double-underscore name keeps it out of the way of recipe identifiers
    public static void __seg_checkpoint() => s_token.Value.ThrowIfCancellationRequested();
#pragma warning restore IDE1006
}

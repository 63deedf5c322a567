namespace SegPlugins.Core.Effects.MagicSelect;

public enum EffectStatusKind
{
    /// <summary>The output is ready.</summary>
    Ready,
    /// <summary>No usable prompt: nothing to look for. The output is the source (or the problem overlay).</summary>
    NeedsPrompt,
    /// <summary>The model could not be loaded or run. The output is the source (or the problem overlay).</summary>
    Error,
    /// <summary>The host cancelled. The output is the source.</summary>
    Cancelled,
}

/// <summary>
/// The outcome of <see cref="MagicSelectRenderer.Prepare"/>: one message a host can show as is. Never an exception.
/// </summary>
public sealed record EffectStatus(EffectStatusKind Kind, string Message)
{
    public bool IsReady => Kind == EffectStatusKind.Ready;

    /// <summary>Predicted IoU of the chosen mask (Ready only).</summary>
    public float? Score { get; init; }

    /// <summary>Object pixels inside the selection (Ready only).</summary>
    public long? ObjectArea { get; init; }

    /// <summary>
    /// The exception behind an <see cref="EffectStatusKind.Error"/>, for hosts that decide what to do next (such as
    /// retrying on the CPU after a GPU failure: <see cref="Inference.DirectMLDevices.IsProviderFailure"/>); null otherwise.
    /// </summary>
    public Exception? Cause { get; init; }

    public override string ToString() => $"{Kind}: {Message}";
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.Internal;

namespace SegPlugins.Core.Editing;

/// <summary>
/// Settings of <see cref="ProgressiveMerge"/> in a <see cref="ClickChain"/>. The defaults are the measured ones
/// (docs/evaluation.md, "Progressive merge").
/// </summary>
public sealed record ProgressiveMergeOptions
{
    /// <summary>
    /// The first click (1-based) whose answer is merged into the previous selection instead of replacing it; 0 turns
    /// the merge off. The first click has no selection to merge into, so any other value must be at least 2.
    /// </summary>
    public int FromClick { get; init; }

    /// <summary>
    /// With a value above 0, a click changes pixels only inside a square around it whose half side is this fraction of
    /// the longer side of the previous selection's bounds (at least <see cref="MinWindow"/> pixels); 0 = the changed
    /// region may reach anywhere in the image.
    /// </summary>
    public double Window { get; init; }

    /// <summary>Least half side of the window in pixels, so a click on a tiny or empty selection can still make a visible change.</summary>
    public int MinWindow { get; init; } = 16;

    public static ProgressiveMergeOptions Default { get; } = new();

    /// <summary>True when the answer to click <paramref name="clickNumber"/> (1-based) is merged.</summary>
    public bool AppliesTo(int clickNumber) => FromClick >= 2 && clickNumber >= FromClick;

    internal void Validate()
    {
        if (FromClick < 0 || FromClick == 1) throw new SegArgumentException("merge from click", $"must be 0 (off) or at least 2, got {FromClick}");
        if (!(Window >= 0 && Window <= 4)) throw new SegArgumentException("merge window", $"must be between 0 (no window) and 4, got {Window}");
        if (MinWindow < 1) throw new SegArgumentException("merge min window", $"must be at least 1 pixel, got {MinWindow}");
    }
}

/// <summary>
/// FocalClick's progressive merge (Chen et al., CVPR 2022): a correction click changes the selection only in the
/// connected region of changed pixels it sits in, so the decoder cannot wreck distant, already correct parts of the
/// selection while answering a click elsewhere. An include click only adds the 8-connected region of pixels that
/// the new answer adds and that contains the click; an exclude click only removes the region that the answer removes
/// and that contains the click. When the answer does not change the clicked pixel the way the click asks, the
/// selection stays as it was.
/// </summary>
public static class ProgressiveMerge
{
    /// <summary>The previous selection changed only where <paramref name="click"/> asks (see the class summary); a new mask.</summary>
    /// <param name="previous">The selection before the click.</param>
    /// <param name="answer">The answer to every click so far, the newest being <paramref name="click"/>.</param>
    /// <param name="click">The newest click, in image pixels.</param>
    /// <param name="options">Window settings; null for <see cref="ProgressiveMergeOptions.Default"/> (no window).</param>
    public static Mask Merge(Mask previous, Mask answer, PointPrompt click, ProgressiveMergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(answer);
        options ??= ProgressiveMergeOptions.Default;
        options.Validate();
        MaskChecks.SameSize(previous.Width, previous.Height, answer.Width, answer.Height, "previous selection", "answer");
        if (!float.IsFinite(click.X) || !float.IsFinite(click.Y))
            throw new SegArgumentException("click", $"({click.X}, {click.Y}) is not a finite point");
        int w = previous.Width, h = previous.Height;
        int cx = Math.Clamp((int)click.X, 0, w - 1), cy = Math.Clamp((int)click.Y, 0, h - 1);
        var result = previous.Clone();

        // The pixels the answer changes in the click's direction: added for an include click, removed for an exclude click.
        var changed = new byte[w * h];
        if (click.Positive) ByteOps.Apply(ByteOp.MinNot, answer.Data, previous.Data, changed);
        else ByteOps.Apply(ByteOp.MinNot, previous.Data, answer.Data, changed);
        if (changed[cy * w + cx] == 0) return result;

        if (options.Window > 0) ClearOutside(changed, w, h, Window(previous, cx, cy, options));

        var regions = Components.Label(changed, w, h, set: true, eightConnected: true);
        var keep = new bool[regions.Count];
        keep[regions.LabelAt(cx, cy)] = true;
        regions.Paint(result.Data, keep, click.Positive ? Mask.On : Mask.Off);
        return result;
    }

    /// <summary>The window around pixel (cx, cy), clipped to the image.</summary>
    internal static PixelRect Window(Mask previous, int cx, int cy, ProgressiveMergeOptions options)
    {
        int w = previous.Width, h = previous.Height;
        var bounds = Bounds.Of(previous.Data, w, h);
        int side = bounds is { } b ? Math.Max(b.Width, b.Height) : 0;
        int half = Math.Max(options.MinWindow, (int)Math.Ceiling(options.Window * side));
        int x0 = Math.Max(0, cx - half), y0 = Math.Max(0, cy - half);
        int x1 = Math.Min(w - 1, cx + half), y1 = Math.Min(h - 1, cy + half);
        return new PixelRect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    private static void ClearOutside(byte[] data, int w, int h, PixelRect r)
    {
        for (int y = 0; y < h; y++)
        {
            var row = data.AsSpan(y * w, w);
            if (y < r.Y || y >= r.Y + r.Height) { row.Clear(); continue; }
            row.Slice(0, r.X).Clear();
            row.Slice(r.X + r.Width).Clear();
        }
    }
}

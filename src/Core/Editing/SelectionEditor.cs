using System.Text;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>
/// The selection of one image, edited by prompts (predicted by an <see cref="ISegmentationSession"/>) and by mask
/// operations, with undo/redo and a history that renders as a C# recipe. Not thread-safe: one editor per view.
/// </summary>
public sealed class SelectionEditor
{
    private sealed record PromptContext(SelectionMode Mode, Mask Base, PromptSet Prompts, MaskPrediction Prediction);
    private sealed record State(Mask Selection, PromptContext? Last, SelectionStep? Step);

    private readonly List<State> _states = new();
    private int _current;

    /// <summary>Starts with <paramref name="initial"/> (or an empty selection) for the session's current image.</summary>
    public SelectionEditor(ISegmentationSession session, Mask? initial = null)
    {
        Session = session ?? throw new SegArgumentException(nameof(session), "is null");
        if (!session.HasImage) throw new SegArgumentException(nameof(session), "has no image; call SetImage before editing a selection");
        Width = session.ImageWidth;
        Height = session.ImageHeight;
        if (initial is not null) MaskChecks.SameSize(Width, Height, initial.Width, initial.Height, "image", "initial selection");
        _states.Add(new State(initial?.Clone() ?? new Mask(Width, Height), null, null));
    }

    public ISegmentationSession Session { get; }
    public int Width { get; }
    public int Height { get; }

    /// <summary>Options for every prediction (null = the session's defaults).</summary>
    public PredictOptions? PredictOptions { get; set; }

    /// <summary>The current selection. Treat as read-only; every edit makes a new mask.</summary>
    public Mask Selection => _states[_current].Selection;

    /// <summary>The prediction of the last step when that step was a prompt or refinement, else null.</summary>
    public MaskPrediction? LastPrediction => _states[_current].Last?.Prediction;

    /// <summary>The steps that led to the current selection, oldest first (undone steps excluded).</summary>
    public IReadOnlyList<SelectionStep> History
    {
        get
        {
            var list = new List<SelectionStep>(_current);
            for (int i = 1; i <= _current; i++) list.Add(_states[i].Step!);
            return list;
        }
    }

    public bool CanUndo => _current > 0;
    public bool CanRedo => _current < _states.Count - 1;

    public MaskPrediction Replace(PromptSet prompts) => Prompt(SelectionMode.Replace, prompts);
    public MaskPrediction Add(PromptSet prompts) => Prompt(SelectionMode.Add, prompts);
    public MaskPrediction Subtract(PromptSet prompts) => Prompt(SelectionMode.Subtract, prompts);
    public MaskPrediction Intersect(PromptSet prompts) => Prompt(SelectionMode.Intersect, prompts);

    /// <summary>Predicts a mask for <paramref name="prompts"/> and combines it with the selection by <paramref name="mode"/>.</summary>
    public MaskPrediction Prompt(SelectionMode mode, PromptSet prompts)
    {
        if (prompts is null) throw new SegArgumentException("prompt", "is null");
        prompts.Validate(Width, Height);
        var basis = Selection;
        var prediction = Predict(prompts);
        Push(new State(Combine(basis, prediction.Mask, mode), new PromptContext(mode, basis, prompts, prediction), new PromptStep(mode, prompts)));
        return prediction;
    }

    /// <summary>
    /// Adds points to the last prompt and predicts again with the last prediction's low-res logits as mask input,
    /// replacing that prompt's contribution. The last step must be a prompt or a refinement.
    /// </summary>
    public MaskPrediction Refine(params PointPrompt[] points)
    {
        var last = _states[_current].Last
            ?? throw new SegException("nothing to refine: the last step is not a prompt; start with Replace, Add, Subtract or Intersect");
        if (points is null || points.Length == 0) throw new SegArgumentException("points", "give at least one point to refine with");
        var merged = new List<PointPrompt>(last.Prompts.Points);
        merged.AddRange(points);
        var prompts = last.Prompts with { Points = merged.ToArray(), MaskInput = last.Prediction.LowResLogits };
        prompts.Validate(Width, Height);
        var prediction = Predict(prompts);
        Push(new State(Combine(last.Base, prediction.Mask, last.Mode), last with { Prompts = prompts, Prediction = prediction }, new RefineStep(points.ToArray())));
        return prediction;
    }

    public SelectionEditor Grow(int radius) => Op(Selection.Grow(radius), new GrowStep(radius));
    public SelectionEditor Shrink(int radius) => Op(Selection.Shrink(radius), new ShrinkStep(radius));
    public SelectionEditor Smooth(float sigma) => Op(Selection.Smooth(sigma), new SmoothStep(sigma));
    public SelectionEditor FillHoles(long maxArea) => Op(Selection.FillHoles(maxArea), new FillHolesStep(maxArea));
    public SelectionEditor FillAllHoles() => Op(Selection.FillAllHoles(), new FillHolesStep(long.MaxValue));
    public SelectionEditor RemoveIslands(long minArea) => Op(Selection.RemoveIslands(minArea), new RemoveIslandsStep(minArea));
    public SelectionEditor KeepLargestComponent() => Op(Selection.KeepLargestComponent(), new KeepLargestComponentStep());
    public SelectionEditor KeepComponentsContaining(params PointPrompt[] points) =>
        Op(Selection.KeepComponentsContaining(points), new KeepComponentsContainingStep(points.ToArray()));
    public SelectionEditor Invert() => Op(Selection.Invert(), new InvertStep());
    public SelectionEditor Clear() => Op(new Mask(Width, Height), new ClearStep());
    public SelectionEditor SelectAll() { var m = new Mask(Width, Height); m.Data.AsSpan().Fill(Mask.On); return Op(m, new SelectAllStep()); }

    /// <summary>Steps back one edit; false when there is nothing to undo.</summary>
    public bool Undo()
    {
        if (!CanUndo) return false;
        _current--;
        return true;
    }

    /// <summary>Re-applies the last undone edit; false when there is nothing to redo.</summary>
    public bool Redo()
    {
        if (!CanRedo) return false;
        _current++;
        return true;
    }

    /// <summary>
    /// The history as C# statements on a variable named <paramref name="editor"/>, one per line, e.g.
    /// <c>editor.Add(PromptSet.FromPoints(PointPrompt.Include(120f, 80f)));</c>.
    /// </summary>
    public string ToRecipe(string editor = "editor")
    {
        if (string.IsNullOrWhiteSpace(editor)) throw new SegArgumentException(nameof(editor), "variable name is empty");
        var sb = new StringBuilder();
        foreach (var step in History) sb.Append(step.ToCode(editor)).Append('\n');
        return sb.ToString();
    }

    private MaskPrediction Predict(PromptSet prompts)
    {
        var p = Session.Predict(prompts, PredictOptions);
        if (p.Mask.Width != Width || p.Mask.Height != Height)
            throw new SegException($"the session returned a {p.Mask.Width}x{p.Mask.Height} mask for a {Width}x{Height} selection; was SetImage called with another image?");
        return p;
    }

    private SelectionEditor Op(Mask result, SelectionStep step)
    {
        Push(new State(result, null, step));
        return this;
    }

    private void Push(State s)
    {
        if (_current < _states.Count - 1) _states.RemoveRange(_current + 1, _states.Count - _current - 1);
        _states.Add(s);
        _current++;
    }

    private static Mask Combine(Mask basis, Mask predicted, SelectionMode mode) => mode switch
    {
        SelectionMode.Replace => predicted.Clone(),
        SelectionMode.Add => basis.Union(predicted),
        SelectionMode.Subtract => basis.Subtract(predicted),
        SelectionMode.Intersect => basis.Intersect(predicted),
        _ => throw new SegArgumentException("mode", $"unknown selection mode {(int)mode}"),
    };
}

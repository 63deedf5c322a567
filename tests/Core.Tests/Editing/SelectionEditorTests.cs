using Xunit;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Tests.Masks;

namespace SegPlugins.Core.Tests.Editing;

/// <summary>Test double: a disk of radius 3 around each positive point, minus disks around negative points.</summary>
internal sealed class DiskSession : ISegmentationSession
{
    public List<PromptSet> Calls { get; } = new();
    public string ModelName => "disks";
    public bool HasImage { get; private set; }
    public int ImageWidth { get; private set; }
    public int ImageHeight { get; private set; }
    public void SetImage(BgraImage image, CancellationToken cancellationToken = default) { ImageWidth = image.Width; ImageHeight = image.Height; HasImage = true; }
    public void Reset() => HasImage = false;
    public void Dispose() { }

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls.Add(prompts);
        var m = new Mask(ImageWidth, ImageHeight);
        foreach (bool positive in new[] { true, false })
            foreach (var p in prompts.Points.Where(p => p.Positive == positive))
                for (int y = 0; y < ImageHeight; y++)
                    for (int x = 0; x < ImageWidth; x++)
                        if ((x - p.X) * (x - p.X) + (y - p.Y) * (y - p.Y) <= 9) m.Data[y * ImageWidth + x] = positive ? Mask.On : Mask.Off;
        var logits = new LogitMap(256, 256);
        logits.Data[0] = Calls.Count; // identifies which call produced it
        var proposal = new MaskProposal(0, 0.9f, logits);
        return new MaskPrediction(m, proposal, new[] { proposal }, _ => new LogitMap(ImageWidth, ImageHeight));
    }
}

public class SelectionEditorTests
{
    private static (SelectionEditor, DiskSession) New(int w = 20, int h = 12)
    {
        var s = new DiskSession();
        s.SetImage(new BgraImage(w, h));
        return (new SelectionEditor(s), s);
    }

    [Fact]
    public void ModesCombinePredictions()
    {
        var (ed, _) = New();
        ed.Replace(PromptSet.FromPoints(PointPrompt.Include(5, 5)));
        Assert.Equal(29, ed.Selection.Area());
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(14, 5)));
        Assert.Equal(58, ed.Selection.Area());
        ed.Subtract(PromptSet.FromPoints(PointPrompt.Include(14, 5)));
        Assert.Equal(29, ed.Selection.Area());
        ed.Intersect(PromptSet.FromPoints(PointPrompt.Include(7, 5)));
        Assert.True(ed.Selection[6, 5] && !ed.Selection[3, 5] && !ed.Selection[9, 5]);
    }

    [Fact]
    public void RefineSendsUnionOfPointsAndLastLowResLogits()
    {
        var (ed, s) = New();
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(5, 5)));
        var first = ed.LastPrediction!;
        ed.Refine(PointPrompt.Exclude(7, 5));
        var call = s.Calls[^1];
        Assert.Equal(new[] { PointPrompt.Include(5, 5), PointPrompt.Exclude(7, 5) }, call.Points);
        Assert.Same(first.LowResLogits, call.MaskInput);
        Assert.False(ed.Selection[7, 5]);
        Assert.True(ed.Selection[3, 5]);
        // A second refinement builds on the refined prompt and its logits.
        ed.Refine(PointPrompt.Include(15, 8));
        Assert.Equal(3, s.Calls[^1].Points.Count);
        Assert.Equal(2f, s.Calls[^1].MaskInput!.Data[0]);
        Assert.True(ed.Selection[15, 8]);
    }

    [Fact]
    public void RefineReplacesOnlyTheLastPromptsContribution()
    {
        var (ed, _) = New();
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(3, 3)));
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(14, 6)));
        ed.Refine(PointPrompt.Exclude(14, 6));
        Assert.True(ed.Selection[3, 3]);   // first prompt's pixels survive
        Assert.False(ed.Selection[14, 6]);
    }

    [Fact]
    public void RefineNeedsAPromptStep()
    {
        var (ed, _) = New();
        Assert.Throws<SegException>(() => ed.Refine(PointPrompt.Include(1, 1)));
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(5, 5)));
        ed.Grow(1);
        Assert.Contains("refine", Assert.Throws<SegException>(() => ed.Refine(PointPrompt.Include(1, 1))).Message);
        Assert.Throws<SegArgumentException>(() => ed.Add(PromptSet.FromPoints(PointPrompt.Include(50, 5))));
        Assert.Throws<SegArgumentException>(() => ed.Add(new PromptSet()));
    }

    [Fact]
    public void UndoRedoAndHistoryRecipe()
    {
        var (ed, _) = New();
        Assert.False(ed.Undo());
        ed.Add(PromptSet.FromPoints(PointPrompt.Include(5, 5)));
        var afterAdd = ed.Selection;
        ed.Grow(2);
        var grown = ed.Selection;
        Assert.True(grown.Area() > afterAdd.Area());
        ed.FillAllHoles().RemoveIslands(4);
        Assert.True(ed.Undo()); Assert.True(ed.Undo()); Assert.True(ed.Undo());
        Assert.Same(afterAdd, ed.Selection);
        Assert.True(ed.Redo());
        Assert.Same(grown, ed.Selection);
        Assert.True(ed.CanRedo);
        ed.Shrink(1); // a new edit drops the redo branch
        Assert.False(ed.CanRedo);
        ed.Subtract(new PromptSet { Points = new[] { PointPrompt.Exclude(1.5f, 2) }, Box = new BoxXyxy(0, 0, 4, 4) });
        Assert.Equal(
            "editor.Add(PromptSet.FromPoints(PointPrompt.Include(5f, 5f)));\n" +
            "editor.Grow(2);\n" +
            "editor.Shrink(1);\n" +
            "editor.Subtract(new PromptSet { Points = new[] { PointPrompt.Exclude(1.5f, 2f) }, Box = new BoxXyxy(0f, 0f, 4f, 4f) });\n",
            ed.ToRecipe());
        Assert.Equal(4, ed.History.Count);
        Assert.IsType<ShrinkStep>(ed.History[2]);
    }

    [Fact]
    public void RecipeReplaysToTheSameSelection()
    {
        var (ed, _) = New(30, 20);
        ed.Replace(PromptSet.FromPoints(PointPrompt.Include(8, 8)));
        ed.Refine(PointPrompt.Include(11, 8));
        ed.Add(PromptSet.FromBox(new BoxXyxy(1, 1, 3, 3)));
        ed.Grow(1).Invert().Invert().KeepComponentsContaining(PointPrompt.Include(9, 8)).Smooth(0.5f).FillHoles(10);
        // Replay the recorded steps on a fresh editor through the same public calls the recipe text names.
        var (replay, _) = New(30, 20);
        foreach (var step in ed.History)
        {
            switch (step)
            {
                case PromptStep p: replay.Prompt(p.Mode, p.Prompts); break;
                case RefineStep r: replay.Refine(r.Points.ToArray()); break;
                case GrowStep g: replay.Grow(g.Radius); break;
                case InvertStep: replay.Invert(); break;
                case KeepComponentsContainingStep k: replay.KeepComponentsContaining(k.Points.ToArray()); break;
                case SmoothStep s: replay.Smooth(s.Sigma); break;
                case FillHolesStep f: replay.FillHoles(f.MaxArea); break;
                default: throw new InvalidOperationException(step.ToString());
            }
        }
        Assert.Equal(ed.Selection.Data, replay.Selection.Data);
        Assert.Contains("editor.Refine(PointPrompt.Include(11f, 8f));", ed.ToRecipe());
        Assert.Contains("editor.Add(PromptSet.FromBox(new BoxXyxy(1f, 1f, 3f, 3f)));", ed.ToRecipe());
    }

    [Fact]
    public void NeedsAnImageAndMatchingInitialMask()
    {
        var s = new DiskSession();
        Assert.Throws<SegArgumentException>(() => new SelectionEditor(s));
        s.SetImage(new BgraImage(4, 4));
        Assert.Throws<SegArgumentException>(() => new SelectionEditor(s, new Mask(5, 4)));
        var ed = new SelectionEditor(s, Ascii.Parse("#...", "....", "....", "...."));
        ed.SelectAll();
        Assert.Equal(16, ed.Selection.Area());
        ed.Clear();
        Assert.True(ed.Selection.IsEmpty);
    }
}

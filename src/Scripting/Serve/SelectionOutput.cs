using System.Globalization;
using System.Text;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Editing;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;

using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Scripting.Serve;

/// <summary>The selection as it is exported: finished (grown, feathered, edge-refined), and its history as a recipe.</summary>
internal static class SelectionOutput
{
    /// <summary>The selection after <paramref name="finish"/>: hard when nothing softens it, else soft.</summary>
    public static SoftMask Finished(Mask selection, BgraImage image, Finish finish)
    {
        var m = Grown(selection, finish.Grow);
        var soft = finish.Feather > 0 ? m.Feather(finish.Feather) : m.ToSoftMask();
        return finish.Edges ? soft.RefineEdges(image) : soft;
    }

    /// <summary>The image's selection after <paramref name="finish"/>: its matte's alpha when the finish asks for the matte.</summary>
    public static SoftMask Finished(ServedImage img, Finish finish, CancellationToken ct, SubjectSelector? subject = null) =>
        finish.Matte ? MatteOf(img, finish.Grow, ct, subject).Alpha : Finished(img.Editor.Selection, img.Image, finish);

    /// <summary>Whether the matte of the image's selection is one object's answer to a box alone, which <see cref="MatteOf"/> limits to the box's salient object.</summary>
    public static bool MattesBoxAlone(ServedImage img, int grow) =>
        grow == 0 && img.Editor.LastPrompt is { Mode: SelectionMode.Replace, Prompts: { Box: not null, Points.Count: 0, MaskInput: null } } && img.Editor.LastPrediction is not null;

    /// <summary>
    /// The alpha matte (with its foreground colours) of the image's selection grown by <paramref name="grow"/>, as
    /// <c>segplug select --matte</c> makes it: a trimap around the selection's edge, widened where the model was
    /// unsure, then the matte. The model's logits are the last object's when the selection is that object's answer
    /// as it came (replace, not grown); otherwise (objects combined, subject, grown) they are confident logits that
    /// agree with the selection, as <c>segplug cutout --matte</c> uses for a mask file. An answer to a box alone is
    /// matted within the box's salient object when <paramref name="subject"/> is given (<see cref="MattesBoxAlone"/>).
    /// The last matte is kept, so the preview and the exports after it share one solve.
    /// </summary>
    public static Matte MatteOf(ServedImage img, int grow, CancellationToken ct, SubjectSelector? subject = null)
    {
        var ed = img.Editor;
        var selection = ed.Selection;
        if (img.LastMatte is { } kept && ReferenceEquals(kept.Selection, selection) && kept.Grow == grow) return kept.Matte;
        var hard = Grown(selection, grow);
        var matte = MattesBoxAlone(img, grow) && subject is not null
            ? SelectionMatting.FromBox(img.Image, ed.LastPrediction!.Logits, hard, ed.LastPrompt!.Value.Prompts.Box!.Value, subject, cancellationToken: ct)
            : grow == 0 && ed.LastPrompt is { Mode: SelectionMode.Replace } && ed.LastPrediction is { } p
            ? SelectionMatting.FromSelection(img.Image, p.Logits, hard, cancellationToken: ct)
            : SelectionMatting.FromMask(img.Image, hard, cancellationToken: ct);
        img.LastMatte = (selection, grow, matte);
        return matte;
    }

    private static Mask Grown(Mask selection, int grow) =>
        grow > 0 ? selection.Grow(grow) : grow < 0 ? selection.Shrink(-grow) : selection;

    /// <summary>
    /// The current prompt as a points sidecar (<c>NAME.points.json</c>, read by <c>recipes/refine-with-points.csx</c>
    /// and <see cref="PromptSidecar.Parse"/>).
    /// </summary>
    public static string Sidecar(PromptSet? prompts)
    {
        var sb = new StringBuilder("{");
        if (prompts?.Box is { } b) sb.Append("\n  \"box\": [").Append(N(b.X0)).Append(", ").Append(N(b.Y0)).Append(", ").Append(N(b.X1)).Append(", ").Append(N(b.Y1)).Append(']');
        if (prompts?.Box is not null) sb.Append(',');
        sb.Append("\n  \"points\": [");
        var points = prompts?.Points ?? [];
        for (int i = 0; i < points.Count; i++)
            sb.Append(i == 0 ? "" : ", ").Append('[').Append(N(points[i].X)).Append(", ").Append(N(points[i].Y)).Append(", ").Append(points[i].Positive ? 1 : 0).Append(']');
        return sb.Append("]\n}\n").ToString();
    }

    /// <summary>
    /// A recipe for <c>segplug run</c> that repeats the edit on every image of a folder: each object is selected from its
    /// prompt with the page's own click chain (the recipe host's <c>SelectClicks</c>: clicks in order, refined with the
    /// image's colours, a first click read with the subject model where <paramref name="subjectGuide"/>, as here), points
    /// scaled from this image's size to each input's. On this image the recipe's selection is the page's.
    /// </summary>
    public static string Recipe(string imageName, int width, int height, IReadOnlyList<SelectionStep> history, Finish finish, bool subjectGuide = true)
    {
        var sb = new StringBuilder();
        sb.Append("// Made with segplug serve on ").Append(imageName).Append(" (").Append(width).Append('x').Append(height).Append(").\n");
        sb.Append("// Save as edit.csx and run: segplug run edit.csx photos/ --out selected\n");
        sb.Append("// Clicks are scaled from that image's size to each input's.\n");
        sb.Append("float sx = Input.Width / ").Append(width).Append("f, sy = Input.Height / ").Append(height).Append("f;\n");
        sb.Append("var selection = new Mask(Input.Width, Input.Height);\n");
        var prompts = new List<(SelectionMode Mode, List<PointPrompt> Points, BoxXyxy? Box)>();
        var lines = new List<string>();
        int objects = 0;
        foreach (var step in history)
        {
            switch (step)
            {
                case PromptStep p:
                    objects++;
                    lines.Add(PromptLines(p.Mode, p.Prompts.Points, p.Prompts.Box, objects, subjectGuide));
                    prompts.Add((p.Mode, p.Prompts.Points.ToList(), p.Prompts.Box));
                    break;
                case RefineStep r when prompts.Count > 0:
                    // A refinement re-selects the last object with its extra clicks, replacing its earlier answer.
                    var last = prompts[^1];
                    last.Points.AddRange(r.Points);
                    lines.RemoveAt(lines.Count - 1);
                    lines.Add(PromptLines(last.Mode, last.Points, last.Box, objects, subjectGuide));
                    break;
                case SubjectStep s:
                    lines.Add(Combine(s.Mode, "SubjectSaliency()"));
                    break;
                case ClearStep:
                    lines.Add("selection = new Mask(Input.Width, Input.Height);\n");
                    break;
                default:
                    lines.Add("selection = selection" + step.ToCode("SELECTION").Replace("SELECTION", "", StringComparison.Ordinal).TrimEnd(';') + ";\n");
                    break;
            }
        }
        // Each object combines with the selection made before it, so every line sees the lines above it.
        foreach (var l in lines) sb.Append(l);
        string alpha = "selection";
        if (finish.Grow > 0) alpha += $".Grow({finish.Grow})";
        if (finish.Grow < 0) alpha += $".Shrink({-finish.Grow})";
        alpha += finish.Feather > 0 ? $".Feather({N(finish.Feather)}f)" : ".ToSoftMask()";
        if (finish.Edges) alpha += ".RefineEdges(Input)";
        if (finish.Matte)
        {
            // The page's "Refine edges (hair)": the matte of the finished selection, its foreground colours in the cut-out.
            string hard = "selection";
            if (finish.Grow > 0) hard += $".Grow({finish.Grow})";
            if (finish.Grow < 0) hard += $".Shrink({-finish.Grow})";
            sb.Append("var matte = Matte(").Append(hard).Append(");\n");
            sb.Append("Save(matte.Alpha, \"{name}-mask.png\");\n");
            sb.Append("Save(CutOut(matte), \"{name}-cutout.png\");\n");
            return sb.ToString();
        }
        sb.Append("var alpha = ").Append(alpha).Append(";\n");
        sb.Append("Save(alpha, \"{name}-mask.png\");\n");
        sb.Append("Save(CutOut(alpha), \"{name}-cutout.png\");\n");
        return sb.ToString();
    }

    private static string PromptLines(SelectionMode mode, IReadOnlyList<PointPrompt> points, BoxXyxy? box, int index, bool subjectGuide)
    {
        string v = $"object{index}";
        var sb = new StringBuilder($"var {v} = SelectClicks(");
        if (points.Count == 0) sb.Append("Array.Empty<PointPrompt>()");
        else
        {
            sb.Append("new[] { ");
            for (int i = 0; i < points.Count; i++) sb.Append(i == 0 ? "" : ", ").Append(Point(points[i]));
            sb.Append(" }");
        }
        if (box is { } b) sb.Append($", new BoxXyxy({N(b.X0)}f * sx, {N(b.Y0)}f * sy, {N(b.X1)}f * sx, {N(b.Y1)}f * sy)");
        // Only a first including click without a box is read with the subject model; say so only where it would be.
        if (!subjectGuide && box is null && points.Count > 0 && points[0].Positive) sb.Append(", subjectGuide: false");
        sb.Append(");\n");
        return sb.Append(Combine(mode, v)).ToString();
    }

    private static string Point(PointPrompt p) => $"new PointPrompt({N(p.X)}f * sx, {N(p.Y)}f * sy, {(p.Positive ? "true" : "false")})";

    private static string Combine(SelectionMode mode, string mask) => mode switch
    {
        SelectionMode.Replace => $"selection = {mask};\n",
        SelectionMode.Add => $"selection = selection.Union({mask});\n",
        SelectionMode.Subtract => $"selection = selection.Subtract({mask});\n",
        _ => $"selection = selection.Intersect({mask});\n",
    };

    private static string N(float v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>The salient-object model's answer combined into the selection (the page's "Select subject").</summary>
internal sealed record SubjectStep(SelectionMode Mode) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Apply(SelectionMode.{Mode}, subject, new SubjectStep(SelectionMode.{Mode}));";
}

using System.Globalization;
using System.Text;
using SegPlugins.Core.Geometry;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Editing;

/// <summary>How a new prediction combines with the current selection.</summary>
public enum SelectionMode { Replace, Add, Subtract, Intersect }

/// <summary>
/// One step of a <see cref="SelectionEditor"/> history. <see cref="ToCode"/> renders it as the C# call that
/// repeats it, so a history becomes a recipe script.
/// </summary>
public abstract record SelectionStep
{
    /// <summary>The statement that repeats this step on an editor named <paramref name="editor"/>.</summary>
    public abstract string ToCode(string editor);

    internal static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture) + "f";

    internal static string Point(PointPrompt p) => $"PointPrompt.{(p.Positive ? "Include" : "Exclude")}({F(p.X)}, {F(p.Y)})";

    internal static string PointList(IReadOnlyList<PointPrompt> points)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < points.Count; i++) sb.Append(i == 0 ? "" : ", ").Append(Point(points[i]));
        return sb.ToString();
    }

    internal static string Prompt(PromptSet p)
    {
        string box = p.Box is { } b ? $"new BoxXyxy({F(b.X0)}, {F(b.Y0)}, {F(b.X1)}, {F(b.Y1)})" : "";
        if (p.Box is null) return $"PromptSet.FromPoints({PointList(p.Points)})";
        if (p.Points.Count == 0) return $"PromptSet.FromBox({box})";
        return $"new PromptSet {{ Points = new[] {{ {PointList(p.Points)} }}, Box = {box} }}";
    }
}

/// <summary>A prediction combined into the selection. Low-res mask inputs are not part of the recipe text.</summary>
public sealed record PromptStep(SelectionMode Mode, PromptSet Prompts) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.{Mode}({Prompt(Prompts)});";
}

/// <summary>Extra points added to the previous prompt step, re-predicted with its low-res logits as mask input.</summary>
public sealed record RefineStep(IReadOnlyList<PointPrompt> Points) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Refine({PointList(Points)});";
}

public sealed record GrowStep(int Radius) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Grow({Radius});";
}

public sealed record ShrinkStep(int Radius) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Shrink({Radius});";
}

public sealed record SmoothStep(float Sigma) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Smooth({F(Sigma)});";
}

/// <summary>Fills holes up to <see cref="MaxArea"/> pixels; <see cref="long.MaxValue"/> means every hole.</summary>
public sealed record FillHolesStep(long MaxArea) : SelectionStep
{
    public override string ToCode(string editor) => MaxArea == long.MaxValue ? $"{editor}.FillAllHoles();" : $"{editor}.FillHoles({MaxArea});";
}

public sealed record RemoveIslandsStep(long MinArea) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.RemoveIslands({MinArea});";
}

public sealed record KeepLargestComponentStep : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.KeepLargestComponent();";
}

public sealed record KeepComponentsContainingStep(IReadOnlyList<PointPrompt> Points) : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.KeepComponentsContaining({PointList(Points)});";
}

public sealed record InvertStep : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Invert();";
}

public sealed record ClearStep : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.Clear();";
}

public sealed record SelectAllStep : SelectionStep
{
    public override string ToCode(string editor) => $"{editor}.SelectAll();";
}

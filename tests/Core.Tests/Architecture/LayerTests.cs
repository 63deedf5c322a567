using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Architecture;

/// <summary>Core's layers (docs/architecture.md) read from its sources: one direction, no cycle, folders = namespaces.</summary>
public sealed class LayerTests
{
    private const string Root = "SegPlugins.Core";

    private static string CoreFolder => Path.Combine(TestPaths.RepoRoot, "src", "Core");

    // One semantic walk over Core for every test of this class (it binds every name of about 15,000 lines).
    private static readonly Lazy<(IReadOnlyList<NamespaceReference> Refs, IReadOnlyList<string> Errors)> s_core = new(() =>
    {
        var refs = NamespaceReferences.Collect(NamespaceReferences.SourcesUnder(CoreFolder), NamespaceReferences.RuntimeReferences(), Root, out var errors);
        return (refs, errors);
    });

    [Fact]
    public void CoreBindsCompletelySoNoReferenceIsMissed()
    {
        // Names that do not bind are references the walk cannot see; the only errors allowed are the partial
        // methods that the regex source generator implements (generators do not run in this walk).
        var errors = s_core.Value.Errors.Where(e => !e.Contains("CS8795", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
        // And the walk sees the arrows everyone knows are there.
        Assert.Contains(s_core.Value.Refs, r => r.From == "SegPlugins.Core.Segmentation.Sam" && r.To == "SegPlugins.Core.Inference");
        Assert.Contains(s_core.Value.Refs, r => r.From == "SegPlugins.Core.Masks" && r.To == "SegPlugins.Core.Geometry");
    }

    [Fact]
    public void EveryReferenceInCoreRunsDownTheLayers()
    {
        var problems = CoreLayers.Violations(s_core.Value.Refs);
        Assert.True(problems.Count == 0, "Core breaks its layering (docs/architecture.md):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void CoreHasNoCycleBetweenLayers()
    {
        var cycles = CoreLayers.Cycles(s_core.Value.Refs);
        Assert.True(cycles.Count == 0, "cycles: " + string.Join("; ", cycles.Select(c => string.Join(" <-> ", c))));
    }

    [Fact]
    public void EveryFolderOfCoreIsItsNamespace()
    {
        var wrong = new List<string>();
        foreach (var (path, text) in NamespaceReferences.SourcesUnder(CoreFolder))
        {
            var folder = Path.GetRelativePath(CoreFolder, Path.GetDirectoryName(path)!);
            var expected = folder == "." ? Root : Root + "." + folder.Replace(Path.DirectorySeparatorChar, '.');
            var declared = System.Text.RegularExpressions.Regex.Match(text, @"^namespace ([\w.]+)", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value;
            if (declared != expected) wrong.Add($"{Path.GetRelativePath(CoreFolder, path)} declares '{declared}', its folder says '{expected}'");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    // The checks above must be able to fail: each case below is a small violating code base.

    private static IReadOnlyList<NamespaceReference> Walk(params string[] files)
    {
        var refs = NamespaceReferences.Collect(files.Select((t, i) => ($"f{i}.cs", t)), NamespaceReferences.RuntimeReferences(), Root, out var errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors)); // a case that does not compile proves nothing
        return refs;
    }

    private const string Prompts = "namespace SegPlugins.Core.Segmentation { public sealed record PromptSet; public static class PromptOps { public static int Count(this PromptSet p) => 1; } }";

    [Fact]
    public void AFullyQualifiedNameInOneLineIsCaught()
    {
        var refs = Walk(Prompts, "namespace SegPlugins.Core.Masks { static class M { static object F() => new SegPlugins.Core.Segmentation.PromptSet(); } }");
        var problem = Assert.Single(CoreLayers.Violations(refs));
        Assert.Contains("wrong way: Masks (rank 3) names Segmentation (rank 5)", problem);
        Assert.Contains("SegPlugins.Core.Segmentation.PromptSet at f1.cs:1", problem);
    }

    [Fact]
    public void AUsingDirectiveAloneIsCaught()
    {
        var refs = Walk(Prompts, "using SegPlugins.Core.Segmentation;\nnamespace SegPlugins.Core.Imaging { static class M { } }");
        Assert.Contains("wrong way: Imaging (rank 2) names Segmentation (rank 5)", Assert.Single(CoreLayers.Violations(refs)));
    }

    [Fact]
    public void AnExtensionMethodAndAVarAreCaughtThroughWhatTheyBindTo()
    {
        // The higher layer's type is never written out: the value comes from a factory into a var, and the call
        // on it is an extension method.
        var refs = Walk(Prompts,
            "namespace SegPlugins.Core.Segmentation { public static class Make { public static PromptSet One() => new(); } }",
            "using SegPlugins.Core.Segmentation;\nnamespace SegPlugins.Core.Geometry { static class M { static int F() { var p = Make.One(); return p.Count(); } } }");
        var problems = CoreLayers.Violations(refs);
        Assert.Contains(problems, p => p.Contains("SegPlugins.Core.Segmentation.Make.One()", StringComparison.Ordinal));
        Assert.True(problems.Any(p => p.Contains("PromptOps.Count(", StringComparison.Ordinal)), string.Join("\n", problems));
    }

    [Fact]
    public void SiblingModelFamiliesMayNotNameEachOther()
    {
        var refs = Walk(
            "namespace SegPlugins.Core.Segmentation.Sam { public static class SamThing { public static int N => 1; } }",
            "namespace SegPlugins.Core.Segmentation.Clip { static class M { static int F() => SegPlugins.Core.Segmentation.Sam.SamThing.N; } }");
        var problems = CoreLayers.Violations(refs);
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("sibling: Segmentation.Clip names Segmentation.Sam, both rank 6", p));
    }

    [Fact]
    public void ACycleIsReportedWithItsLayers()
    {
        var refs = Walk(
            "namespace SegPlugins.Core.Masks { public sealed class A { public SegPlugins.Core.Segmentation.B? Other; } }",
            "namespace SegPlugins.Core.Segmentation { public sealed class B { public SegPlugins.Core.Masks.A? Other; } }");
        Assert.Equal(["Masks", "Segmentation"], Assert.Single(CoreLayers.Cycles(refs)));
    }

    [Fact]
    public void ANamespaceOutsideEveryLayerIsReported()
    {
        var refs = Walk(Prompts, "namespace SegPlugins.Core.Plugins { static class M { static object F() => new SegPlugins.Core.Segmentation.PromptSet(); } }");
        Assert.Contains("namespace SegPlugins.Core.Plugins belongs to no layer", Assert.Single(CoreLayers.Violations(refs)));
    }

    [Fact]
    public void ReferencesDownwardAndInsideALayerPass()
    {
        var refs = Walk(
            "namespace SegPlugins.Core.Geometry { public readonly record struct P(int X); }",
            "namespace SegPlugins.Core.Masks.Internal { static class K { public static int X(SegPlugins.Core.Geometry.P p) => p.X; } }",
            "namespace SegPlugins.Core.Masks { static class M { static int F() => SegPlugins.Core.Masks.Internal.K.X(new SegPlugins.Core.Geometry.P(1)); } }");
        Assert.NotEmpty(refs);
        Assert.Empty(CoreLayers.Violations(refs));
        Assert.Empty(CoreLayers.Cycles(refs));
    }
}

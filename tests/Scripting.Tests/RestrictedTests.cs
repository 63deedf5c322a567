using SegPlugins.Core.Geometry;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

public sealed class RestrictedTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    private CompileOutcome Compile(string code, bool restricted = true)
    {
        string path = _ws.Write($"r{Guid.NewGuid():N}.csx", code);
        return new RecipeCompiler(RecipeCache.Disabled).Compile(RecipeSource.Load(path), restricted);
    }

    // Each recipe puts the forbidden use on line 2; the expected text must appear in the message.
    [Theory]
    [InlineData("File", "var s = System.IO.File.ReadAllText(\"x\");", "System.IO.File.ReadAllText")]
    [InlineData("alias", "using F = System.IO.File;\nF.Delete(\"x\");", "System.IO.File")]
    [InlineData("global::", "global::System.IO.File.Delete(\"x\");", "System.IO.File.Delete")]
    [InlineData("using static", "using static System.IO.File;\nDelete(\"x\");", "System.IO.File")]
    [InlineData("using + short name", "using System.IO;\nvar d = new DirectoryInfo(\"/\");", "System.IO.DirectoryInfo")]
    [InlineData("target-typed new", "System.IO.FileInfo f;\nf = new(\"x\");", "System.IO.FileInfo")]
    [InlineData("typeof", "var t = typeof(System.IO.File);", "System.IO.File")]
    [InlineData("Process", "System.Diagnostics.Process.Start(\"ls\");", "System.Diagnostics.Process")]
    [InlineData("ProcessStartInfo", "var p = new System.Diagnostics.ProcessStartInfo(\"ls\");", "System.Diagnostics.ProcessStartInfo")]
    [InlineData("HttpClient", "var c = new System.Net.Http.HttpClient();", "System.Net.Http.HttpClient")]
    [InlineData("Dns", "var h = System.Net.Dns.GetHostName();", "System.Net.Dns")]
    [InlineData("reflection via Type", "var m = typeof(string).GetMethod(\"Trim\", Type.EmptyTypes);", "System.Reflection.MethodInfo")]
    [InlineData("Assembly.Load", "System.Reflection.Assembly.Load(\"x\");", "System.Reflection.Assembly")]
    [InlineData("InvokeMember", "typeof(string).InvokeMember(\"Trim\", default, null, \"a\", null);", "System.Type.InvokeMember")]
    [InlineData("Marshal", "var p = System.Runtime.InteropServices.Marshal.AllocHGlobal(8);", "System.Runtime.InteropServices.Marshal")]
    [InlineData("AssemblyLoadContext", "var c = System.Runtime.Loader.AssemblyLoadContext.Default;", "System.Runtime.Loader.AssemblyLoadContext")]
    [InlineData("AppDomain", "var d = AppDomain.CurrentDomain;", "System.AppDomain")]
    [InlineData("Activator", "var o = Activator.CreateInstance(typeof(object));", "System.Activator")]
    [InlineData("Environment.Exit", "Environment.Exit(3);", "System.Environment.Exit")]
    [InlineData("SetEnvironmentVariable", "Environment.SetEnvironmentVariable(\"A\", \"B\");", "System.Environment.SetEnvironmentVariable")]
    [InlineData("unsafe block", "unsafe { int x = 1; int* p = &x; }", "unsafe code")]
    [InlineData("unsafe method", "unsafe static void M() { }", "unsafe code")]
    [InlineData("DllImport", "[System.Runtime.InteropServices.DllImport(\"libc\")] static extern int getpid();", "DllImportAttribute")]
    [InlineData("LibraryImport", "static partial class N { [System.Runtime.InteropServices.LibraryImport(\"libc\")] internal static partial int getpid(); }", "LibraryImportAttribute")]
    [InlineData("function pointer", "unsafe { delegate*<void> f = null; }", "function pointer")]
    [InlineData("dynamic", "dynamic d = \"x\";\nvar n = d.Length;", "dynamic")]
    [InlineData("Unsafe class", "var r = System.Runtime.CompilerServices.Unsafe.SizeOf<int>();", "System.Runtime.CompilerServices.Unsafe")]
    [InlineData("engine image writer", "SegPlugins.Core.Imaging.ImageIO.SavePng(Input, \"/tmp/x.png\");", "SegPlugins.Core.Imaging.ImageIO.SavePng")]
    [InlineData("engine atomic file", "SegPlugins.Core.IO.AtomicFile.WriteAllText(\"/tmp/x\", \"y\");", "SegPlugins.Core.IO.AtomicFile")]
    [InlineData("engine mask file", "MaskPng.Save(new Mask(2, 2), \"/tmp/x.png\");", "SegPlugins.Core.Masks.IO.MaskPng")]
    [InlineData("engine RLE file", "CocoRle.Save(new Mask(2, 2), \"/tmp/x.json\");", "SegPlugins.Core.Masks.IO.CocoRle.Save")]
    [InlineData("model store", "var s = SegPlugins.Core.Inference.ModelStore.CreateDefault();", "SegPlugins.Core.Inference.ModelStore")]
    [InlineData("opening a session", "var s = await SegPlugins.Core.Segmentation.Sam.SamSession.OpenAsync();", "SegPlugins.Core.Segmentation.Sam.SamSession")]
    [InlineData("host internals", "SegPlugins.Scripting.Recipes.RecipeRuntime.__seg_checkpoint();", "SegPlugins.Scripting.Recipes.RecipeRuntime")]
    // Routes that a denylist missed: everything outside the allowlist is refused, whatever it is.
    [InlineData("CLIP vocabulary reader", "var t = SegPlugins.Core.Segmentation.Clip.ClipTokenizer.Load(\"/etc/passwd\");", "SegPlugins.Core.Segmentation.Clip.ClipTokenizer")]
    [InlineData("FastSAM session", "var s = SegPlugins.Core.Segmentation.FastSam.FastSamSession.Open(\"/etc/passwd\");", "SegPlugins.Core.Segmentation.FastSam.FastSamSession")]
    [InlineData("subject selector", "var s = await SegPlugins.Core.Segmentation.Subject.SubjectSelector.OpenAsync();", "SegPlugins.Core.Segmentation.Subject.SubjectSelector")]
    [InlineData("effect model provider", "var p = new SegPlugins.Core.Effects.MagicSelect.FixedSamModelProvider(null!);", "SegPlugins.Core.Effects.MagicSelect.FixedSamModelProvider")]
    [InlineData("logits file", "var l = NpyFile.Load(\"/etc/passwd\");", "SegPlugins.Core.Masks.IO.NpyFile")]
    [InlineData("polygon file", "var m = MaskPolygons.LoadJson(\"/etc/passwd\");", "SegPlugins.Core.Masks.IO.MaskPolygons.LoadJson")]
    [InlineData("XML file reader", "var d = System.Xml.Linq.XDocument.Load(\"/etc/passwd\");", "System.Xml.Linq.XDocument")]
    [InlineData("certificate file reader", "var c = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(\"/etc/passwd\");", "System.Security.Cryptography.X509Certificates.X509CertificateLoader")]
    [InlineData("console", "Console.WriteLine(Console.ReadLine());", "System.Console")]
    [InlineData("working folder", "Environment.CurrentDirectory = \"/\";", "System.Environment.CurrentDirectory")]
    [InlineData("debugger", "System.Diagnostics.Debugger.Launch();", "System.Diagnostics.Debugger")]
    public void ForbiddenRoute_IsRejectedWithLocationAndSymbol(string route, string code, string expected)
    {
        var outcome = Compile("// recipe\n" + code + "\n");
        Assert.False(outcome.Succeeded, $"{route} was accepted");
        Assert.True(outcome.Diagnostics.Any(d => d.Message.Contains(expected, StringComparison.Ordinal)), string.Join("\n", outcome.Diagnostics));
        var first = outcome.Diagnostics[0];
        Assert.True(first.Line >= 2, $"{route}: {first}");
        Assert.All(outcome.Diagnostics, d => Assert.Equal(RecipeDiagnosticSeverity.Error, d.Severity));
        Assert.Contains(outcome.Diagnostics, d => d.Id is "SEG2001" && d.ToString().Contains("): error SEG2001: not allowed with --restricted: "));
    }

    [Fact]
    public void ForbiddenRouteInLoadedFile_PointsIntoThatFile()
    {
        string lib = _ws.Write("lib.csx", "\nstatic void Wipe() => System.IO.Directory.Delete(\"/tmp/x\");\n");
        string main = _ws.Write("main.csx", "#load \"lib.csx\"\nWipe();\n");
        var outcome = new RecipeCompiler(RecipeCache.Disabled).Compile(RecipeSource.Load(main), restricted: true);
        Assert.True(outcome.Diagnostics.Count == 1, string.Join("\n", outcome.Diagnostics));
        var d = outcome.Diagnostics[0];
        Assert.Equal((lib, 2, 23), (d.File, d.Line, d.Column));
        Assert.Contains("System.IO.Directory.Delete", d.Message);
    }

    [Theory]
    [InlineData("nameof", "var n = nameof(System.IO.File);")]
    [InlineData("globals and engine", "var p = InputPath; var a = Args.Count; Log(OutputDir); Progress(0.5); CancellationToken.ThrowIfCancellationRequested();")]
    [InlineData("saving", "SaveText(\"{}\", \"{name}.json\");")]
    [InlineData("linq and json", "var xs = new[] { 3, 1, 2 }.OrderBy(x => x).ToList(); var j = JsonSerializer.Serialize(xs); var doc = JsonDocument.Parse(j); doc.Dispose();")]
    [InlineData("tasks and math", "await Task.Delay(1); var m = Math.Sqrt(2); var sb = new StringBuilder(); sb.Append(m);")]
    [InlineData("engine types", "var mask = new Mask(4, 4); var area = mask.Area(); var img = new BgraImage(2, 2); var ps = PromptSet.FromBox(new BoxXyxy(0, 0, 1, 1));")]
    [InlineData("classes and lambdas", "class Acc { public int N; public void Add(int x) { N += x; } }\nvar acc = new Acc(); Enumerable.Range(0, 5).ToList().ForEach(acc.Add);")]
    [InlineData("Stopwatch", "var sw = System.Diagnostics.Stopwatch.StartNew();")]
    [InlineData("colour refinement and editing types", "var o = new ColorRefineOptions(); var r = new PixelRect(0, 0, 2, 2); var p = new PointPrompt(1, 2); var e = typeof(SegPlugins.Core.Editing.ClickChain);")]
    [InlineData("compiler-generated helpers", "var (a, b) = (1, \"x\"); var s = $\"{a} {b}\"; int[] xs = [1, 2]; record R(int X); var q = new R(1) with { X = 2 };")]
    [InlineData("engine in-memory APIs", "var m = new Mask(8, 8).Grow(2); var json = CocoRle.ToJson(m); var cut = Compositor.CutOut(new BgraImage(8, 8), m); var soft = m.Feather(2f); var bg = LoadImage(\"x.png\");")]
    public void AllowedRecipe_Passes(string what, string code)
    {
        var outcome = Compile(code + "\n");
        Assert.True(outcome.Succeeded, $"{what}: {string.Join("\n", outcome.Diagnostics)}");
    }

    [Fact]
    public void EvaluationIsNotEvenReferenced()
    {
        // Datasets open any folder; the evaluation assembly is not given to recipes at all, restricted or not.
        var outcome = Compile("var d = SegPlugins.Evaluation.SegmentationDataset.Open(\"/etc\");\n");
        Assert.False(outcome.Succeeded);
        Assert.Contains(outcome.Diagnostics, d => d.Message.Contains("Evaluation", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryAllowedCoreNamespaceExistsAndNoFamilyOrPlumbingIsAllowed()
    {
        var coreNamespaces = typeof(SegPlugins.Core.Imaging.BgraImage).Assembly.GetExportedTypes().Select(t => t.Namespace!).ToHashSet();
        foreach (var ns in RestrictedChecker.AllowedNamespaces.Where(n => n.StartsWith("SegPlugins.", StringComparison.Ordinal)))
            Assert.Contains(ns, coreNamespaces);
        foreach (var refused in new[] { "SegPlugins.Core.IO", "SegPlugins.Core.Inference", "SegPlugins.Core.Segmentation.Sam", "SegPlugins.Core.Segmentation.Clip",
                     "SegPlugins.Core.Segmentation.FastSam", "SegPlugins.Core.Segmentation.Subject", "SegPlugins.Core.Segmentation.Everything",
                     "SegPlugins.Core.Effects.MagicSelect", "SegPlugins.Evaluation", "SegPlugins.Scripting.Recipes", "System.IO", "System.Net.Http", "System.Xml.Linq" })
            Assert.False(RestrictedChecker.IsAllowedNamespace(refused), refused);
    }

    [Fact]
    public void WithoutRestricted_FileAccessCompiles()
    {
        Assert.True(Compile("var s = System.IO.File.Exists(\"x\");\n", restricted: false).Succeeded);
    }

    [Fact]
    public async Task RestrictedRun_RefusesBeforeRunningAnything()
    {
        string marker = Path.Combine(_ws.Root, "marker.txt");
        string recipe = _ws.Write("evil.csx", $"System.IO.File.WriteAllText(@\"{marker}\", \"x\");\n");
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out, "--restricted");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{recipe}(1,1): error SEG2001: not allowed with --restricted: System.IO.File", run.Stderr);
        Assert.False(File.Exists(marker));

        var open = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out);
        Assert.Equal(0, open.ExitCode);
        Assert.True(File.Exists(marker));
    }
}

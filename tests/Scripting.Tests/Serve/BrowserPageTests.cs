using System.Diagnostics;
using System.Text.Json;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Scripting.Tests.Cli;
using Xunit.Abstractions;

namespace SegPlugins.Scripting.Tests.Serve;

/// <summary>
/// Runs only where a browser can: Debian's chromium (or CHROMIUM) and tests/browser's node_modules (.ci/run
/// installs both). Elsewhere the test is skipped and says which one is missing.
/// </summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (BrowserPageTests.Missing() is { } why) Skip = why;
    }
}

/// <summary>The page in a real browser against <c>segplug serve</c> with real MobileSAM.</summary>
public sealed class BrowserPageTests(ITestOutputHelper output)
{
    internal static string Chromium => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
    internal static string BrowserDir => Path.Combine(CliHarness.Root, "tests", "browser");

    internal static string? Missing()
    {
        if (!File.Exists(Chromium)) return $"no chromium at {Chromium} (apt-get install chromium, or set CHROMIUM)";
        if (!Directory.Exists(Path.Combine(BrowserDir, "node_modules", "playwright-core"))) return $"playwright-core is not installed in {BrowserDir} (run npm install there)";
        if (FindOnPath("node") is null) return "node is not installed";
        return null;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [BrowserFact]
    public async Task Page_ClickExcludeUndoExport_MatchesSelectCommand()
    {
        string outDir = Path.Combine(AppContext.BaseDirectory, "browser-test");
        if (Directory.Exists(outDir)) Directory.Delete(outDir, true);
        Directory.CreateDirectory(outDir);
        string coffee = Path.Combine(CliHarness.Root, "samples", "coffee.jpg");

        using var server = await ServeProcess.StartAsync(ServeOptionsToken(), TimeSpan.FromMinutes(3));
        var psi = new ProcessStartInfo("node") { WorkingDirectory = BrowserDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "select.mjs", server.Url, coffee, "300,200", "460,200", outDir }) psi.ArgumentList.Add(a);
        psi.Environment["CHROMIUM"] = Chromium;
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try { await node.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { node.Kill(true); throw new TimeoutException($"the browser script did not finish in 8 minutes: {await stderr}"); }
        Assert.True(node.ExitCode == 0, $"browser script failed ({node.ExitCode}): {await stderr}\n{await stdout}\nserver: {server.Stderr}");

        string last = (await stdout).Trim().Split('\n')[^1];
        File.WriteAllText(Path.Combine(outDir, "result.json"), last);
        using var doc = JsonDocument.Parse(last);
        var r = doc.RootElement;
        Assert.Equal(0, r.GetProperty("errors").GetArrayLength());
        Assert.Equal(2, r.GetProperty("excluded").GetInt32()); // the exclude click joined the object's clicks
        Assert.Equal(1, r.GetProperty("afterUndo").GetInt32()); // and undo took it back
        var click = r.GetProperty("clicked")[0];
        string point = FormattableString.Invariant($"{click[0].GetDouble()},{click[1].GetDouble()}");
        output.WriteLine($"click-to-overlay ms: {r.GetProperty("clickMs")}; median {r.GetProperty("medianMs").GetInt32()} ms (server's part: {r.GetProperty("serverMs")}, median {r.GetProperty("serverMedianMs").GetInt32()} ms); screenshots in {outDir}");

        using var t = new CliTemp();
        var (code, _, err) = CliHarness.Run("select", "--image", coffee, "--point", point, "--out", t.F("cli.png"));
        Assert.True(code == 0, err);
        var cli = MaskPng.LoadMask(t.F("cli.png"));
        var page = MaskPng.LoadMask(Path.Combine(outDir, "mask.png"));
        Assert.False(cli.IsEmpty);
        double iou = cli.IoU(page);
        output.WriteLine($"IoU of the page's export against segplug select --point {point}: {iou:0.0000}");
        Assert.True(iou >= 0.99, $"IoU {iou:0.0000} < 0.99");
        Assert.True(File.Exists(Path.Combine(outDir, "page.png")));
    }

    private static string ServeOptionsToken() => SegPlugins.Scripting.Serve.ServeOptions.NewToken();
}

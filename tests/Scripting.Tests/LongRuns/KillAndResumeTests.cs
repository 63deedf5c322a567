using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using SegPlugins.Core.Imaging;
using SegPlugins.Scripting.Recipes;
using Xunit;
using Xunit.Abstractions;

namespace SegPlugins.Scripting.Tests.LongRuns;

/// <summary>
/// A batch killed at random points (the whole process tree, as a crash or a power cut would) leaves no partial or
/// corrupt output under a final name, and the next run finishes the batch, skipping what was already done.
/// </summary>
public sealed partial class KillAndResumeTests(ITestOutputHelper log)
{
    private const int Images = 40;

    /// <summary>No model: thresholds the green channel, and writes a composite over a blurred background plus the mask.</summary>
    private const string Recipe = """
        var img = Input;
        var mask = new Mask(img.Width, img.Height);
        for (int y = 0; y < img.Height; y++)
        {
            var row = img.Row(y);
            var m = mask.Row(y);
            for (int x = 0; x < img.Width; x++) m[x] = row[4 * x + 1] > 128 ? Mask.On : (byte)0;
        }
        Save(ReplaceBackground(mask.Feather(3f), Background.Blur(4)), "{name}-blur.png");
        Save(mask, "{name}-mask.png");
        """;

    [GeneratedRegex(@"^\[(\d+)/(\d+)\] ok ")]
    private static partial Regex OkLine();

    [Fact]
    public async Task KilledRuns_LeaveOnlyCompleteOutputs_AndTheLastRunSkipsWhatWasDone()
    {
        using var ws = new Workspace();
        string inDir = Path.Combine(ws.Root, "in");
        Directory.CreateDirectory(inDir);
        for (int i = 0; i < Images; i++) ImageIO.SavePng(Picture(i), Path.Combine(inDir, $"img{i:D3}.png"));
        string recipe = ws.Write("two-outputs.csx", Recipe);

        // The reference: one clean run in this process, with the real codec; its compiled recipe is the children's cache hit.
        var services = ws.Services(codec: CoreEngine.Codec) with { Cache = new RecipeCache(Path.Combine(ChildCache(ws), "recipes")) };
        var clean = await ws.RunAsync(services, CancellationToken.None, recipe, inDir, "--out", Path.Combine(ws.Root, "ref"), "--jobs", "2");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        var reference = Directory.EnumerateFiles(Path.Combine(ws.Root, "ref"))
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        Assert.Equal(2 * Images, reference.Count);

        string outDir = Path.Combine(ws.Root, "out");
        string[] args = ["run", recipe, inDir, "--out", outDir, "--jobs", "2"];
        var rng = new Random(20261125);
        int checkedFiles = 0;
        for (int kill = 0; kill < 4; kill++)
        {
            // First a kill at a random moment after the recipe compiled, then three right after the k-th progress line (k random;
            // a log gets a line per tenth of the batch, so after item 4k of 40).
            bool byTime = kill == 0;
            int afterItems = rng.Next(1, 7);
            int delayMs = rng.Next(0, 60);
            using var p = Start(ws, args);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int oks = 0;
            p.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                if (!byTime && OkLine().IsMatch(e.Data) && Interlocked.Increment(ref oks) == afterItems) ready.TrySetResult();
                if (byTime && e.Data.StartsWith("recipe:", StringComparison.Ordinal)) ready.TrySetResult();
            };
            p.OutputDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            var exited = p.WaitForExitAsync();
            await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(120)));
            if (byTime && ready.Task.IsCompleted) await Task.Delay(delayMs);
            bool killed = !p.HasExited;
            if (killed) p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            log.WriteLine(byTime
                ? $"kill {kill + 1}: {delayMs} ms after compile, {(killed ? "killed" : "had already finished")}, {Volatile.Read(ref oks)} items reported"
                : $"kill {kill + 1}: after item {afterItems}, {(killed ? "killed" : "had already finished")}");
            checkedFiles += CheckOutputs(outDir, reference);
        }

        // The manifest on disk says which inputs the last run may skip.
        int recorded = RecordedItems(outDir);
        log.WriteLine($"after the kills: {OutputCount(outDir)} outputs under final names, {recorded} inputs recorded as done, {TempCount(outDir)} temporary files; {checkedFiles} files checked in all");
        Assert.InRange(recorded, 1, Images); // the kills come early enough to leave work on any machine seen so far

        using (var last = Start(ws, args))
        {
            var stdout = last.StandardOutput.ReadToEndAsync();
            var stderr = last.StandardError.ReadToEndAsync();
            Assert.True(last.WaitForExit(TimeSpan.FromSeconds(120)), "the final run did not finish");
            string summary = await stdout;
            Assert.True(last.ExitCode == 0, summary + await stderr);
            int skipped = summary.Split('\n').Count(l => l.StartsWith("skipped   ", StringComparison.Ordinal));
            int ok = summary.Split('\n').Count(l => l.StartsWith("ok        ", StringComparison.Ordinal));
            log.WriteLine($"final run: {ok} ok, {skipped} skipped");
            Assert.Equal(recorded, skipped);
            Assert.Equal(Images, ok + skipped);
            Assert.Contains($"{ok} ok, 0 failed, {skipped} skipped, 0 not finished", summary);
        }
        CheckOutputs(outDir, reference);
        Assert.Equal(2 * Images, OutputCount(outDir));
        Assert.Equal(Images, RecordedItems(outDir));
        // The killed writers' staging files were swept by the final run: only finished outputs remain.
        Assert.Equal(0, TempCount(outDir));
    }

    private static string ChildCache(Workspace ws) => Path.Combine(ws.Root, ".child-cache");

    private static Process Start(Workspace ws, string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = ws.Root,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "segplug.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[RecipeCache.EnvironmentVariable] = ChildCache(ws);
        return Process.Start(psi) ?? throw new InvalidOperationException("segplug did not start");
    }

    /// <summary>Every file under a final name is one of the clean run's outputs, byte for byte, and decodes.</summary>
    private static int CheckOutputs(string outDir, Dictionary<string, byte[]> reference)
    {
        if (!Directory.Exists(outDir)) return 0;
        int n = 0;
        foreach (var f in Directory.EnumerateFiles(outDir))
        {
            string name = Path.GetFileName(f);
            if (name == RunManifest.FileName)
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(f)); // complete JSON, never a torn write
                continue;
            }
            if (name.StartsWith('.'))
            {
                Assert.EndsWith(".tmp", name); // a killed writer's staging file: hidden, never taken for an output
                continue;
            }
            Assert.True(reference.TryGetValue(name, out var want), $"unexpected output {name}");
            Assert.True(want.AsSpan().SequenceEqual(File.ReadAllBytes(f)), $"{name} differs from the clean run's output");
            Assert.True(ImageIO.Load(f).Width > 0);
            n++;
        }
        return n;
    }

    private static int OutputCount(string outDir) =>
        Directory.Exists(outDir) ? Directory.EnumerateFiles(outDir).Count(f => !Path.GetFileName(f).StartsWith('.')) : 0;

    private static int TempCount(string outDir) =>
        Directory.Exists(outDir) ? Directory.EnumerateFiles(outDir, ".*.tmp").Count() : 0;

    private static int RecordedItems(string outDir)
    {
        string path = Path.Combine(outDir, RunManifest.FileName);
        if (!File.Exists(path)) return 0;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("items").EnumerateObject().Count();
    }

    /// <summary>A different 256x192 picture per index: gradients and a bright disc that moves.</summary>
    private static BgraImage Picture(int index)
    {
        const int w = 256, h = 192;
        var img = new BgraImage(w, h);
        int cx = 40 + index * 37 % 180, cy = 40 + index * 53 % 110, r = 20 + index % 30;
        for (int y = 0; y < h; y++)
        {
            var row = img.Row(y);
            for (int x = 0; x < w; x++)
            {
                bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                row[4 * x] = (byte)(x + index);
                row[4 * x + 1] = disc ? (byte)230 : (byte)(y / 2);
                row[4 * x + 2] = (byte)((x ^ y) + index * 7);
                row[4 * x + 3] = 255;
            }
        }
        return img;
    }
}

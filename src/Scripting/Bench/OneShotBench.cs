using System.Diagnostics;
using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;

namespace SegPlugins.Scripting.Bench;

/// <summary>
/// <c>segplug select</c> as a user runs it: a new process per selection, timed end to end
/// (<c>oneshot_select_ms_1mp</c>), and the peak resident memory of a 12 MP selection (<c>select_peak_rss_mb_12mp</c>).
/// Both run the SAM click alone (<c>--subject-guide off</c>), the engine's own work the key is compared with;
/// <c>oneshot_select_guided_ms_1mp</c> and <c>select_guided_peak_rss_mb_12mp</c> are the command's default, the first
/// click read with the subject model too (only when that model is already in the cache: the bench fetches nothing).
/// </summary>
internal static class OneShotBench
{
    /// <summary>Runs both measurements and adds their keys to <paramref name="results"/>; skipped when the tool's own executable is not found.</summary>
    public static void Run(BgraImage sample, Func<BgraImage, int, int, BgraImage> scale, IReadOnlyList<string> modelArgs, int repeat,
        Dictionary<string, double> results, TextWriter stderr, CancellationToken ct)
    {
        var exe = Executable();
        if (exe is null)
        {
            stderr.WriteLine("bench: the segplug executable was not found beside the tool; one-shot keys skipped");
            return;
        }
        string dir = Path.Combine(Path.GetTempPath(), "segplug-oneshot-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string img1 = Path.Combine(dir, "1mp.jpg"), img12 = Path.Combine(dir, "12mp.jpg");
            ImageIO.SaveJpeg(scale(sample, 1155, 866), img1);
            ImageIO.SaveJpeg(scale(sample, 4000, 3000), img12);
            string[] plain = [.. modelArgs, "--subject-guide", "off"];
            bool guided = SubjectModelPresent();
            Child(exe, img1, 1155, 866, dir, plain, ct); // file-system and model-file caches warm, as for a user's second selection
            if (guided) Child(exe, img1, 1155, 866, dir, modelArgs, ct);
            var wall = new List<double>();
            var wallGuided = new List<double>();
            for (int i = 0; i < Math.Max(3, Math.Min(repeat, 5)); i++)
            {
                wall.Add(Child(exe, img1, 1155, 866, dir, plain, ct).Ms);
                if (guided) wallGuided.Add(Child(exe, img1, 1155, 866, dir, modelArgs, ct).Ms);
            }
            results["oneshot_select_ms_1mp"] = EngineBench.Median(wall);
            if (guided) results["oneshot_select_guided_ms_1mp"] = EngineBench.Median(wallGuided);
            else stderr.WriteLine("bench: the subject model is not in the model cache; oneshot_select_guided_ms_1mp skipped");
            results["select_peak_rss_mb_12mp"] = Child(exe, img12, 4000, 3000, dir, plain, ct).PeakMb;
            if (guided) results["select_guided_peak_rss_mb_12mp"] = Child(exe, img12, 4000, 3000, dir, modelArgs, ct).PeakMb;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static (double Ms, double PeakMb) Child(string[] exe, string image, int w, int h, string dir, IReadOnlyList<string> modelArgs, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in exe.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "select", "--image", image, "--point", $"{w / 2},{h * 55 / 100}", "--out", Path.Combine(dir, "mask.png") })
            psi.ArgumentList.Add(a);
        foreach (var a in modelArgs) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + exe[0]);
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        long peak = 0;
        // The kernel keeps the high-water mark (VmHWM); read it until the process ends.
        while (!p.WaitForExit(5))
        {
            try { p.Refresh(); peak = Math.Max(peak, p.PeakWorkingSet64); }
            catch (InvalidOperationException) { break; }
        }
        p.WaitForExit();
        double ms = sw.Elapsed.TotalMilliseconds;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"segplug select failed in the one-shot bench (exit {p.ExitCode}): {stderr.Result.Trim()}");
        _ = stdout.Result;
        return (ms, peak / 1048576.0);
    }

    private static bool SubjectModelPresent()
    {
        try { return ModelStore.CreateDefault().IsPresent(ModelIds.U2NetP); }
        catch (SegException) { return false; }
    }

    /// <summary>The tool's own launcher: the apphost beside the assembly, else <c>dotnet segplug.dll</c>.</summary>
    private static string[]? Executable()
    {
        string dir = AppContext.BaseDirectory;
        foreach (var name in new[] { "segplug", "segplug.exe" })
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return [p];
        }
        var dll = Path.Combine(dir, "segplug.dll");
        return File.Exists(dll) && Environment.ProcessPath is { } host ? [host, dll] : null;
    }
}

using System.Diagnostics;
using System.Globalization;
using SegPlugins.Core.Imaging;

namespace SegPlugins.Scripting.Tests.Cluster;

/// <summary>
/// Runs only where a Slurm controller answers: <c>.ci/run</c> starts a one-node Slurm with tests/cluster/start-slurm.sh
/// (SLURM_CONF, or the script's default /tmp/segplug-slurm/slurm.conf). This test installs and starts nothing itself.
/// </summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!SlurmCluster.Available(out string why)) Skip = why;
    }
}

internal static class SlurmCluster
{
    public static string? Conf =>
        Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } c ? c
        : File.Exists("/tmp/segplug-slurm/slurm.conf") ? "/tmp/segplug-slurm/slurm.conf" : null;

    public static bool Available(out string why)
    {
        why = "";
        if (OperatingSystem.IsWindows()) { why = "Slurm runs on Linux only"; return false; }
        if (Conf is null) { why = "no Slurm cluster: SLURM_CONF is not set and tests/cluster/start-slurm.sh has not run"; return false; }
        var (code, output) = Run("sinfo", ["-h", "-o", "%a"], TimeSpan.FromSeconds(15));
        if (code != 0) { why = $"no Slurm controller answers (sinfo: {output.Trim()}); start one with tests/cluster/start-slurm.sh"; return false; }
        return true;
    }

    public static (int Code, string Output) Run(string exe, IEnumerable<string> args, TimeSpan timeout, string? cwd = null)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (Conf is { } conf) psi.Environment["SLURM_CONF"] = conf;
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(timeout)) { p.Kill(true); return (-1, "timed out"); }
            return (p.ExitCode, output.Result + err.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}

/// <summary>
/// <c>segplug run</c> as a 4-task Slurm array job over 40 generated images: one task is killed mid-run and put back
/// in the queue (<c>scontrol requeue</c>); afterwards every image was done exactly once, the outputs are
/// byte-identical to a one-process run, and no staging file is left.
/// </summary>
public sealed class SlurmArrayTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "segplug-slurm-test-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // No model: a threshold mask grown and cut out, plus a pause so that a task is still running when it is requeued.
    // The completion log is written after the outputs are staged, so a killed item leaves no line; ".started" marks
    // the pause, in which the test requeues the task.
    private const string Recipe = """
        // @arg log: string  folder for one line per finished image
        var img = Input;
        var mask = new Mask(img.Width, img.Height);
        for (int y = 0; y < img.Height; y++)
            for (int x = 0; x < img.Width; x++)
                if (img.Row(y)[4 * x + 2] > 127) mask.Data[y * img.Width + x] = Mask.On;
        Save(CutOut(mask.Grow(1)), "{name}-cut.png");
        Save(mask, "{name}-mask.png");
        System.IO.File.WriteAllText(System.IO.Path.Combine(Arg("log"), InputName + ".started"), "");
        Thread.Sleep(400);
        System.IO.File.AppendAllText(System.IO.Path.Combine(Arg("log"), InputName + ".done"),
            (Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID") ?? "local") + "\n");
        """;

    [SlurmFact]
    public void ArrayJobWithARequeuedTaskDoesEveryImageOnce()
    {
        string inDir = Path.Combine(_root, "in"), outDir = Path.Combine(_root, "out"), refDir = Path.Combine(_root, "ref");
        string log = Path.Combine(_root, "log"), refLog = Path.Combine(_root, "reflog");
        foreach (var d in new[] { inDir, log, refLog }) Directory.CreateDirectory(d);
        var rng = new Random(17);
        for (int i = 0; i < 40; i++)
        {
            var img = new BgraImage(24 + i % 5, 18 + i % 3);
            rng.NextBytes(img.Pixels);
            for (int p = 3; p < img.Pixels.Length; p += 4) img.Pixels[p] = 255;
            ImageIO.SavePng(img, Path.Combine(inDir, $"img{i:D2}.png"));
        }
        string recipe = Path.Combine(_root, "threshold.csx");
        File.WriteAllText(recipe, Recipe);
        string segplug = Path.Combine(AppContext.BaseDirectory, "segplug.dll");
        string dotnet = Environment.ProcessPath is { } pp && Path.GetFileNameWithoutExtension(pp) == "dotnet" ? pp : "dotnet";

        // The reference: one process, no shard.
        var local = SlurmCluster.Run(dotnet, [segplug, "run", recipe, inDir, "--out", refDir, "--jobs", "1", "--arg", "log=" + refLog], TimeSpan.FromMinutes(5), _root);
        Assert.True(local.Code == 0, local.Output);

        // The array job: each task takes its shard from SLURM_ARRAY_TASK_ID/COUNT (no --shard).
        string script = Path.Combine(_root, "job.sh");
        File.WriteAllText(script, $"""
            #!/bin/sh
            exec "{dotnet}" "{segplug}" run "{recipe}" "{inDir}" --out "{outDir}" --jobs 1 --arg "log={log}"
            """);
        var submit = SlurmCluster.Run("sbatch", ["--parsable", "--array=0-3", "--requeue", "-o", Path.Combine(_root, "task-%a.out"), "--open-mode=append", script], TimeSpan.FromSeconds(30), _root);
        Assert.True(submit.Code == 0, submit.Output);
        string job = submit.Output.Trim().Split(';')[0];
        try
        {
            // Task 1 is requeued once it has finished at least one image, while it is in the pause of the next one.
            string victim = job + "_1";
            var sw = Stopwatch.StartNew();
            while (!(DoneBy(log, "1") >= 1 && InPause(log, 1)) && sw.Elapsed < TimeSpan.FromMinutes(3)) Thread.Sleep(20);
            int before = DoneBy(log, "1");
            Assert.InRange(before, 1, 9);
            var requeue = SlurmCluster.Run("scontrol", ["requeue", victim], TimeSpan.FromSeconds(30));
            Assert.True(requeue.Code == 0, requeue.Output);
            // Slurm holds a requeued job back for a while; start it as soon as it is pending again.
            for (int i = 0; i < 50 && !State(victim).StartsWith("PENDING", StringComparison.Ordinal); i++) Thread.Sleep(100);
            SlurmCluster.Run("scontrol", ["update", "jobid=" + victim, "StartTime=now"], TimeSpan.FromSeconds(30));

            sw.Restart();
            while (SlurmCluster.Run("squeue", ["-h", "-j", job], TimeSpan.FromSeconds(30)).Output.Trim().Length > 0 && sw.Elapsed < TimeSpan.FromMinutes(5))
                Thread.Sleep(250);
            Assert.True(sw.Elapsed < TimeSpan.FromMinutes(5), "the array job did not finish in 5 minutes");

            string task1 = File.ReadAllText(Path.Combine(_root, "task-1.out"));
            Assert.Contains("shard 2/4 from the Slurm array task 1", task1);
            Assert.Contains("DUE TO JOB REQUEUE", task1); // it really was killed mid-run
            for (int t = 0; t < 4; t++)
                Assert.Contains($"segplug run: shard {t + 1}/4 from the Slurm array task {t}", File.ReadAllText(Path.Combine(_root, $"task-{t}.out")));

            // Every image exactly once, by the task whose shard holds it.
            for (int i = 0; i < 40; i++)
            {
                string lines = File.ReadAllText(Path.Combine(log, $"img{i:D2}.done"));
                Assert.Equal((i % 4).ToString(CultureInfo.InvariantCulture) + "\n", lines);
            }
            // The requeued task skipped what it had finished and did the rest.
            Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{10 - before} ok, 0 failed, {before} skipped"), task1);

            // Outputs byte-identical to the one-process run; nothing but outputs and the shards' manifests left.
            var outputs = Directory.GetFiles(outDir).Select(Path.GetFileName).Where(f => !f!.StartsWith(".segplug-manifest", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            var expected = Directory.GetFiles(refDir).Select(Path.GetFileName).Where(f => !f!.StartsWith(".segplug-manifest", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(80, expected.Count);
            Assert.Equal(expected, outputs);
            foreach (var f in expected) Assert.True(File.ReadAllBytes(Path.Combine(refDir, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDir, f!))), f);
            Assert.Equal(Enumerable.Range(1, 4).Select(k => $".segplug-manifest.shard-{k}-of-4.json"),
                Directory.GetFiles(outDir, ".segplug-manifest*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Empty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories));
        }
        finally
        {
            SlurmCluster.Run("scancel", [job], TimeSpan.FromSeconds(30));
        }
    }

    private static int DoneBy(string log, string task) =>
        Directory.GetFiles(log, "*.done").Count(f => File.ReadAllText(f).Split('\n').Contains(task));

    /// <summary>An image of task <paramref name="task"/>'s shard (index % 4 == task) has started its pause and not finished.</summary>
    private static bool InPause(string log, int task) =>
        Enumerable.Range(0, 40).Where(i => i % 4 == task).Any(i =>
            File.Exists(Path.Combine(log, $"img{i:D2}.started")) && !File.Exists(Path.Combine(log, $"img{i:D2}.done")));

    private static string State(string jobTask) =>
        SlurmCluster.Run("squeue", ["-h", "-j", jobTask, "-o", "%T"], TimeSpan.FromSeconds(30)).Output.Trim();
}

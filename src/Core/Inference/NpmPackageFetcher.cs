using System.Diagnostics;

namespace SegPlugins.Core.Inference;

/// <summary>npm could not be run, or it failed.</summary>
public sealed class NpmFetchException : Exception
{
    public NpmFetchException(string message) : base(message) { }
}

/// <summary>
/// Runs <c>npm pack NAME@VERSION</c> into a folder. npm reports no download progress of its own, so npm gets a
/// private cache inside the work folder and progress is the number of bytes that have arrived there.
/// </summary>
public class NpmPackageFetcher
{
    /// <param name="npmCommand">The npm executable; default: <c>npm</c> (<c>npm.cmd</c> on Windows) from PATH.</param>
    public NpmPackageFetcher(string? npmCommand = null) => NpmCommand = npmCommand ?? (OperatingSystem.IsWindows() ? "npm.cmd" : "npm");

    public string NpmCommand { get; }

    public virtual async Task<string> PackAsync(string packageSpec, string workDir, long? expectedBytes, Action<(long Done, long? Total)>? progress, CancellationToken ct)
    {
        string exe = ResolveOnPath(NpmCommand) ?? throw new NpmFetchException($"npm was not found (looked for '{NpmCommand}' on PATH); install Node.js and npm");
        string cache = Path.Combine(workDir, "npm-cache");
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDir,
        };
        foreach (var a in new[] { "pack", packageSpec, "--pack-destination", workDir, "--cache", cache, "--fetch-retries", "1", "--no-audit", "--no-fund", "--loglevel", "error" })
            psi.ArgumentList.Add(a);
        Process proc;
        try { proc = Process.Start(psi) ?? throw new NpmFetchException($"npm ({exe}) could not be started"); }
        catch (System.ComponentModel.Win32Exception e) { throw new NpmFetchException($"npm ({exe}) could not be started: {e.Message}"); }
        using (proc)
        {
            var stderr = proc.StandardError.ReadToEndAsync(ct);
            var stdout = proc.StandardOutput.ReadToEndAsync(ct);
            using var reg = ct.Register(() => { try { proc.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
            while (!proc.WaitForExit(250))
            {
                ct.ThrowIfCancellationRequested();
                progress?.Invoke((FolderBytes(cache), expectedBytes));
            }
            await proc.WaitForExitAsync(ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            string err = (await stderr.ConfigureAwait(false)).Trim();
            await stdout.ConfigureAwait(false);
            if (proc.ExitCode != 0)
            {
                string last = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(l => l.Contains("ERR", StringComparison.Ordinal)) ?? err;
                throw new NpmFetchException($"'npm pack {packageSpec}' failed with exit code {proc.ExitCode}{(last.Length > 0 ? ": " + Truncate(last, 300) : "")} (offline or the registry is unreachable?)");
            }
        }
        var tgz = Directory.GetFiles(workDir, "*.tgz");
        if (tgz.Length != 1)
            throw new NpmFetchException($"'npm pack {packageSpec}' succeeded but left {tgz.Length} archives in {workDir}");
        progress?.Invoke((new FileInfo(tgz[0]).Length, expectedBytes));
        return tgz[0];
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "...";

    private static long FolderBytes(string dir)
    {
        if (!Directory.Exists(dir)) return 0;
        long n = 0;
        try
        {
            foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                try { n += new FileInfo(f).Length; } catch (IOException) { }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return n;
    }

    internal static string? ResolveOnPath(string command)
    {
        if (Path.IsPathRooted(command) || command.Contains(Path.DirectorySeparatorChar))
            return File.Exists(command) ? command : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, command);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}

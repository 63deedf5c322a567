using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SegPlugins.Scripting.Tests.Serve;

/// <summary><c>segplug serve</c> as a separate process on a free loopback port (port 0), until disposed.</summary>
internal sealed partial class ServeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringWriter _stderr = new();

    private ServeProcess(Process process, string url)
    {
        _process = process;
        Url = url;
        var u = new Uri(url);
        BaseAddress = new Uri($"{u.Scheme}://{u.Authority}/");
    }

    /// <summary>The page's address with its token, as printed.</summary>
    public string Url { get; }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The server's resident memory now, in bytes.</summary>
    public long WorkingSet
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    public static async Task<ServeProcess> StartAsync(string token, TimeSpan timeout, params string[] args)
    {
        string dll = typeof(SegPlugins.Scripting.Program).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, "serve", "--port", "0", "--host", "127.0.0.1", "--token", token, "--device", "cpu" }.Concat(args)) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        var errors = new StringWriter();
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.WriteLine(e.Data); };
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                string? line = await p.StandardOutput.ReadLineAsync(cts.Token);
                if (line is null) throw new InvalidOperationException($"segplug serve ended before printing its address: {errors}");
                if (UrlLine().IsMatch(line))
                {
                    var server = new ServeProcess(p, line.Trim());
                    _ = Task.Run(async () => { while (await p.StandardOutput.ReadLineAsync() is not null) { } });
                    lock (errors) server._stderr.Write(errors.ToString());
                    return server;
                }
            }
        }
        catch
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"^http://127\.0\.0\.1:\d+/#token=\S+$")]
    private static partial Regex UrlLine();
}

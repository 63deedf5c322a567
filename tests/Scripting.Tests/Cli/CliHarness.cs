using SegPlugins.Scripting;

namespace SegPlugins.Scripting.Tests.Cli;

/// <summary>Runs <c>segplug</c> in-process and finds the repository's committed files.</summary>
internal static class CliHarness
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SegPlugins.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.RunAsync(args, o, e, CancellationToken.None).GetAwaiter().GetResult();
        return (code, o.ToString(), e.ToString());
    }
}

/// <summary>A temp folder for one test's outputs.</summary>
internal sealed class CliTemp : IDisposable
{
    public CliTemp() => Directory.CreateDirectory(Dir = Path.Combine(Path.GetTempPath(), "segcli-" + Guid.NewGuid().ToString("N")[..8]));
    public string Dir { get; }
    public string F(string n) => Path.Combine(Dir, n);
    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}

namespace SegPlugins.Core.Tests.Support;

/// <summary>Locates the repository's committed test data from the test output folder.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Samples => Path.Combine(RepoRoot, "samples");
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");
    public static string Sample(string name) => Path.Combine(Samples, name);
    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SegPlugins.sln"))) return d.FullName;
        throw new InvalidOperationException("SegPlugins.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temp folder removed at the end of a test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "segtest-" + Guid.NewGuid().ToString("N")[..10]));

    public string Path { get; }
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

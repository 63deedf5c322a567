using SegPlugins.Core.Tests.Support;
using SegPlugins.Fuzz;
using Xunit;

namespace SegPlugins.Core.Tests.Fuzz;

/// <summary>
/// Replays the fuzz seed corpus and every input the fuzzers found (tests/Fuzz/corpus, tests/Fuzz/regressions)
/// through the same target bodies afl-fuzz runs: each must end in a result or a clear SegException.
/// </summary>
public class FuzzCorpusTests
{
    public static TheoryData<string> Targets => new() { "image", "mask", "model", "sidecar" };

    private static string Dir(string kind, string target) => Path.Combine(TestPaths.RepoRoot, "tests", "Fuzz", kind, target);

    private static string[] Files(string kind, string target) =>
        Directory.Exists(Dir(kind, target)) ? Directory.GetFiles(Dir(kind, target)).Order(StringComparer.Ordinal).ToArray() : [];

    [Theory]
    [MemberData(nameof(Targets))]
    public void RegressionInputs_EndInAResultOrAClearError(string target)
    {
        var body = FuzzTargets.Get(target);
        var failures = new List<string>();
        foreach (var file in Files("corpus", target).Concat(Files("regressions", target)))
        {
            try { body(File.ReadAllBytes(file)); }
            catch (Exception e) { failures.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_AreAcceptedUnlessNamedRefused(string target)
    {
        var seeds = Files("corpus", target);
        Assert.NotEmpty(seeds);
        var wrong = new List<string>();
        foreach (var file in seeds)
        {
            string? outcome = null;
            FuzzTargets.Outcome = o => outcome = o;
            try { FuzzTargets.Get(target)(File.ReadAllBytes(file)); }
            finally { FuzzTargets.Outcome = null; }
            bool refusedExpected = Path.GetFileName(file).StartsWith("refused-", StringComparison.Ordinal);
            if (outcome is null || outcome.StartsWith("refused", StringComparison.Ordinal) != refusedExpected)
                wrong.Add($"{Path.GetFileName(file)}: {outcome ?? "no outcome"}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void UnknownTarget_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => FuzzTargets.Get("tiff"));
    }
}

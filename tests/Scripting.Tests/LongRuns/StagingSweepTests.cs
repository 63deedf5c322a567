using SegPlugins.Scripting.Recipes;
using Xunit;

namespace SegPlugins.Scripting.Tests.LongRuns;

public class StagingSweepTests
{
    [Fact]
    public void OnlyStagingFilesOfGoneWritersAreDeleted()
    {
        var dir = Path.Combine(Path.GetTempPath(), "segsweep-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        try
        {
            string dead = Path.Combine(dir, StagingFiles.Name("a-mask.png", 4242));
            string deadNested = Path.Combine(dir, "sub", StagingFiles.Name("b-cutout.png", 4242));
            string live = Path.Combine(dir, StagingFiles.Name("c-mask.png", 777));
            string mine = Path.Combine(dir, StagingFiles.Name("d-mask.png", Environment.ProcessId));
            string userTmp = Path.Combine(dir, ".notes.tmp");       // not a staging name: never touched
            string output = Path.Combine(dir, "a-mask.png");
            foreach (var f in new[] { dead, deadNested, live, mine, userTmp, output }) File.WriteAllText(f, "x");

            int n = StagingFiles.SweepStale(dir, pid => pid == 777);

            Assert.Equal(2, n);
            Assert.False(File.Exists(dead));
            Assert.False(File.Exists(deadNested));
            Assert.True(File.Exists(live));
            Assert.True(File.Exists(mine));
            Assert.True(File.Exists(userTmp));
            Assert.True(File.Exists(output));
            Assert.Equal(0, StagingFiles.SweepStale(Path.Combine(dir, "missing")));
        }
        finally { Directory.Delete(dir, true); }
    }
}

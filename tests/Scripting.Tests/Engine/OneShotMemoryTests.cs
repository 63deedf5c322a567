using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Tests.Engine;

/// <summary>
/// What the setting does to a fresh process's peak is measured by <c>segplug bench</c> (<c>select_peak_rss_mb_12mp</c>,
/// a child process); a test process has a large heap of free memory already resident, which glibc serves before it maps
/// anything, so the effect cannot be observed here.
/// </summary>
public sealed class OneShotMemoryTests
{
    [Fact]
    public void TheThresholdIsAppliedWhereTheCLibraryHasIt()
    {
        bool glibc = OperatingSystem.IsLinux() && System.Runtime.InteropServices.NativeLibrary.TryLoad("libc.so.6", out _);
        Assert.Equal(glibc, OneShotMemory.ReturnLargeBlocks());
        Assert.Equal(glibc, OneShotMemory.ReturnLargeBlocks()); // a second call changes nothing and says the same
    }
}

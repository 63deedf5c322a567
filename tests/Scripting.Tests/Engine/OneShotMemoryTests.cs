using System.Runtime.InteropServices;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Tests.Engine;

public sealed class OneShotMemoryTests
{
    private const int Block = 1 << 20;
    private const int Blocks = 48;
    private const int PinBytes = 96 * 1024; // under the threshold: from the heap, after each large block

    /// <summary>
    /// Large native blocks freed between smaller ones that stay allocated. glibc's own rule would first raise its
    /// threshold (the 8 MiB block freed at the start) and then serve the large blocks from the heap, where the
    /// smaller ones pin them and they stay resident; with the threshold fixed each is its own mapping and goes back.
    /// </summary>
    [Fact]
    public void FreedLargeNativeBlocksLeaveTheProcess()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/status"))
        {
            Assert.False(OneShotMemory.ReturnLargeBlocks()); // nothing to apply outside Linux
            return;
        }
        Assert.True(OneShotMemory.ReturnLargeBlocks(), "mallopt should be found in glibc and accept the threshold");
        Assert.True(OneShotMemory.ReturnLargeBlocks(), "a second call is harmless");

        var fill = new byte[Block];
        Array.Fill(fill, (byte)0x5A);
        var large = new IntPtr[Blocks];
        var small = new IntPtr[Blocks];
        var raise = Marshal.AllocHGlobal(8 << 20);
        Marshal.FreeHGlobal(raise);
        long before = ResidentKb();
        try
        {
            for (int i = 0; i < Blocks; i++)
            {
                large[i] = Marshal.AllocHGlobal(Block);
                Marshal.Copy(fill, 0, large[i], Block); // touch every page
                small[i] = Marshal.AllocHGlobal(PinBytes);
            }
            long touched = ResidentKb();
            Assert.True(touched - before > Blocks * 1024 / 2, $"the blocks should be resident while held ({before} -> {touched} kB)");
            for (int i = 0; i < Blocks; i++) { Marshal.FreeHGlobal(large[i]); large[i] = 0; }
            long after = ResidentKb();
            Assert.True(after - before < Blocks * 1024 / 4, $"freed blocks should leave the process ({before} -> {touched} -> {after} kB)");
        }
        finally
        {
            foreach (var p in large) if (p != 0) Marshal.FreeHGlobal(p);
            foreach (var p in small) if (p != 0) Marshal.FreeHGlobal(p);
        }
    }

    private static long ResidentKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException("no VmRSS line in /proc/self/status");
    }
}

using System.Runtime;
using System.Runtime.InteropServices;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// Memory settings for a process that makes one selection and exits (<c>segplug select</c>). Measured on a 12 MP
/// one-shot <c>segplug select</c> (MobileSAM, kernel high-water mark, alternating runs on one machine):
/// <list type="bullet">
/// <item>After the models are loaded, the byte arrays their files were read into (74 MB) are garbage; a compacting
/// collection then (<see cref="CollectNow"/>) keeps them out of the encoder's peak: 554-557 MB -> 480-489 MB, at no
/// measurable cost.</item>
/// <item>ONNX Runtime without its arena (<see cref="Core.Inference.EngineOptions.KeepRunMemory"/> false) allocates
/// every tensor with the C library's malloc. glibc raises its mmap threshold each time a large block is freed, so
/// after the encoder's first layers the large activations come from the heap and what they free stays resident.
/// Fixing the threshold (<see cref="ReturnLargeBlocks"/>) makes every large block its own mapping, returned when
/// freed: 480-489 MB -> 400 MB at 12 MP (437 -> 350 MB at 1 MP), but the fresh pages cost 0.5-0.8 s more system
/// time per encoder run (page faults), so a host applies it only to images of <see cref="LargeImagePixels"/> and more,
/// where memory is what runs out and the encoder's share of the time is smaller.</item>
/// <item>Below that size the select command keeps ONNX Runtime's arena and memory pattern as a long-running host does
/// (<see cref="Core.Inference.EngineOptions.KeepRunMemory"/>): a 1 MP one-shot select then takes 0.93 x the wall time
/// (median of 4 alternating pairs, 2.66 -> 2.48 s; its first encoder run 1275 -> 1076 ms) for 10-20 MB more peak
/// memory (447-455 MB).</item>
/// </list>
/// </summary>
internal static class OneShotMemory
{
    /// <summary>glibc's <c>M_MMAP_THRESHOLD</c> parameter of <c>mallopt</c>.</summary>
    private const int MmapThresholdParameter = -3;

    /// <summary>Blocks of this size and larger get their own mapping (glibc's starting value, here kept fixed; 1 MiB gave
    /// 406 MB, 4 and 16 MiB 460-519 MB at 12 MP).</summary>
    internal const int MmapThresholdBytes = 128 * 1024;

    /// <summary>Images this large (4 MP) and larger are where <see cref="ReturnLargeBlocks"/> pays: at 1 MP the peak is
    /// 437 MB anyway and the one-shot time is what a user waits for.</summary>
    public const long LargeImagePixels = 4_000_000;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int MalloptFn(int parameter, int value);

    private static int _applied;

    /// <summary>
    /// Fixes the C library's mmap threshold (glibc on Linux only; elsewhere nothing happens). Returns whether the
    /// setting was applied. Safe to call more than once.
    /// </summary>
    public static bool ReturnLargeBlocks()
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Volatile.Read(ref _applied) == 1) return true;
        // musl and other C libraries have no mallopt; the export lookup then fails and nothing changes.
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc)) return false;
        if (!NativeLibrary.TryGetExport(libc, "mallopt", out var address)) return false;
        var mallopt = Marshal.GetDelegateForFunctionPointer<MalloptFn>(address);
        if (mallopt(MmapThresholdParameter, MmapThresholdBytes) != 1) return false;
        Volatile.Write(ref _applied, 1);
        return true;
    }

    /// <summary>
    /// A compacting full collection that returns free managed memory to the system: for the moment after large
    /// temporary buffers (model files read into arrays, the decoder's working buffers) died and before the next peak.
    /// </summary>
    public static void CollectNow()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}

using System.Buffers.Binary;
using System.Text;
using SegPlugins.Core.Inference;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

/// <summary>DXGI_ADAPTER_DESC / DESC1 bytes built by hand from dxgi.h's layout, read back into adapters.</summary>
public class DxgiAdaptersTests
{
    /// <summary>
    /// A DXGI_ADAPTER_DESC(1) as a process with <paramref name="pointerSize"/>-byte SIZE_T lays it out: WCHAR[128],
    /// VendorId, DeviceId, SubSysId, Revision, three SIZE_T memory sizes, LUID {LowPart, HighPart}, then Flags (DESC1).
    /// Every byte not named is filled with 0xEE so that a reader looking in the wrong place gets nonsense.
    /// </summary>
    private static byte[] Desc(string description, uint vendor, uint device, uint luidLow, int luidHigh, uint? flags, int pointerSize = 8)
    {
        int luidAt = 256 + 16 + 3 * pointerSize;
        int size = luidAt + 8 + (flags is null ? 0 : 4);
        if (pointerSize == 8) size = (size + 7) / 8 * 8;
        var b = new byte[size];
        Array.Fill(b, (byte)0xEE);
        var name = new byte[256];
        Encoding.Unicode.GetBytes(description).CopyTo(name, 0);
        name.CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(256), vendor);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(260), device);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(264), 0x1234_5678);     // SubSysId
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(268), 0xA1);            // Revision
        for (int i = 0; i < 3; i++)                                              // dedicated video, dedicated system, shared system memory
            if (pointerSize == 8) BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(272 + 8 * i), 0x2_0000_0000UL * (ulong)(i + 1));
            else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(272 + 4 * i), 0x1000_0000U * (uint)(i + 1));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(luidAt), luidLow);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(luidAt + 4), luidHigh);
        if (flags is { } f) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(luidAt + 8), f);
        return b;
    }

    [Fact]
    public void Desc1LayoutMatchesDxgiH()
    {
        Assert.Equal(DxgiAdapters.Desc1_64Bytes, Desc("x", 0, 0, 0, 0, flags: 0).Length);
        Assert.Equal(DxgiAdapters.Desc64Bytes, Desc("x", 0, 0, 0, 0, flags: null).Length);
    }

    [Fact]
    public void ReadsDescriptionIdsLuidAndFlagsOfDesc1()
    {
        var a = DxgiAdapters.ParseDesc1(Desc("NVIDIA GeForce RTX 4070", 0x10DE, 0x2786, 0x0000_00B2, 1, flags: 0), 8);
        Assert.Equal(new GpuAdapter(0x1_0000_00B2, "NVIDIA GeForce RTX 4070", 0x10DE, 0x2786, false), a);

        // The low part is unsigned: a high bit there must not spill into the high part.
        var high = DxgiAdapters.ParseDesc1(Desc("Intel(R) Arc(TM) A770", 0x8086, 0x56A0, 0xFFFF_FFF0, 7, flags: 0), 8);
        Assert.Equal(0x7_FFFF_FFF0L, high.Luid);

        var warp = DxgiAdapters.ParseDesc1(Desc("Microsoft Basic Render Driver", 0x1414, 0x8C, 0x0000_1234, 0, flags: DxgiAdapters.SoftwareFlag), 8);
        Assert.True(warp.IsSoftware);
        Assert.Equal(0x1234L, warp.Luid);
        // Other flag bits (DXGI_ADAPTER_FLAG_REMOTE = 1) do not make an adapter software.
        Assert.False(DxgiAdapters.ParseDesc1(Desc("Remote GPU", 0x10DE, 0x1, 5, 0, flags: 1), 8).IsSoftware);
    }

    [Fact]
    public void ReadsThePlainDescAndKnowsWarpByItsIds()
    {
        var a = DxgiAdapters.ParseDesc(Desc("AMD Radeon RX 7600", 0x1002, 0x7480, 0x0000_0C01, 0, flags: null), 8);
        Assert.Equal(new GpuAdapter(0xC01, "AMD Radeon RX 7600", 0x1002, 0x7480, false), a);
        Assert.True(DxgiAdapters.ParseDesc(Desc("Microsoft Basic Render Driver", 0x1414, 0x8C, 9, 0, flags: null), 8).IsSoftware);
        // Microsoft's vendor id alone is not WARP (e.g. a Hyper-V or remote display adapter).
        Assert.False(DxgiAdapters.ParseDesc(Desc("Microsoft Hyper-V Video", 0x1414, 0x5353, 9, 0, flags: null), 8).IsSoftware);
    }

    [Fact]
    public void ReadsTheThirtyTwoBitLayout()
    {
        var a = DxgiAdapters.ParseDesc1(Desc("Intel(R) HD Graphics 4000", 0x8086, 0x0166, 0x0000_7777, 2, flags: DxgiAdapters.SoftwareFlag, pointerSize: 4), 4);
        Assert.Equal(new GpuAdapter(0x2_0000_7777, "Intel(R) HD Graphics 4000", 0x8086, 0x0166, true), a);
    }

    [Fact]
    public void ANameFillingAll128CharactersIsKeptWhole()
    {
        string full = new('W', 128);
        Assert.Equal(full, DxgiAdapters.ParseDesc1(Desc(full, 1, 2, 3, 0, flags: 0), 8).Description);
    }

    [Fact]
    public void ShortBuffersAndOddPointerSizesAreRefused()
    {
        var e = Assert.Throws<SegArgumentException>(() => DxgiAdapters.ParseDesc1(new byte[300], 8));
        Assert.Contains("is 300 bytes", e.Message);
        Assert.Contains("needs 308", e.Message);
        Assert.Throws<SegArgumentException>(() => DxgiAdapters.ParseDesc(new byte[400], 2));
    }

    [Fact]
    public void EnumerateListsAdaptersOnWindowsAndSaysWhatIsMissingElsewhere()
    {
        if (OperatingSystem.IsWindows())
        {
            var adapters = DxgiAdapters.Enumerate();
            // Windows always lists at least the Basic Render Driver; LUIDs name one adapter each.
            Assert.NotEmpty(adapters);
            Assert.Equal(adapters.Count, adapters.Select(a => a.Luid).Distinct().Count());
            Assert.All(adapters, a => Assert.False(string.IsNullOrWhiteSpace(a.Description)));
            return;
        }
        var e = Assert.Throws<PlatformNotSupportedException>(() => DxgiAdapters.Enumerate());
        Assert.Contains("dxgi.dll", e.Message);
        Assert.Contains("only Windows", e.Message);
        Assert.Contains("--device cpu", e.Message);
    }
}

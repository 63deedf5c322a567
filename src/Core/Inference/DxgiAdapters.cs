using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace SegPlugins.Core.Inference;

/// <summary>
/// The graphics adapters as DXGI lists them (Windows only). Their order is <c>IDXGIFactory1::EnumAdapters1</c>'s, the
/// order whose index ONNX Runtime's DirectML provider takes as its device id (dml_provider_factory.h: "the device ID
/// corresponds to the enumeration order of hardware adapters as given by IDXGIFactory::EnumAdapters").
/// </summary>
public static class DxgiAdapters
{
    /// <summary>Bytes of DXGI_ADAPTER_DESC in a 64-bit process: WCHAR[128], 4 UINTs, 3 SIZE_Ts, LUID (8-aligned).</summary>
    internal const int Desc64Bytes = 304;

    /// <summary>Bytes of DXGI_ADAPTER_DESC1 in a 64-bit process: DXGI_ADAPTER_DESC, then UINT Flags, padded to 8.</summary>
    internal const int Desc1_64Bytes = 312;

    /// <summary>DXGI_ADAPTER_FLAG_SOFTWARE (dxgi.h): WARP and other software rasterisers.</summary>
    internal const uint SoftwareFlag = 2;

    // The Microsoft Basic Render Driver (WARP) identifies itself with this vendor and device id; DXGI_ADAPTER_DESC has
    // no flags, so this is how a plain description is known to be the software adapter.
    internal const uint MicrosoftVendorId = 0x1414, BasicRenderDeviceId = 0x8C;

    /// <summary>
    /// Every adapter DXGI lists, in its enumeration order (index i is DirectML device id i). Throws
    /// <see cref="PlatformNotSupportedException"/> off Windows and <see cref="SegException"/> when DXGI fails.
    /// </summary>
    public static IReadOnlyList<GpuAdapter> Enumerate()
    {
        if (!OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException(
                $"Listing GPU adapters needs DXGI (dxgi.dll), which only Windows has; this is {RuntimeInformation.OSDescription}. Run on the CPU (--device cpu) or pick a CUDA device (--device cuda:N).");
        return EnumerateWindows();
    }

    /// <summary>
    /// The description of the adapter behind an <c>IDXGIAdapter*</c> (for a host that hands one out, such as Paint.NET's
    /// <c>GetRenderingAdapter()</c>). The pointer is borrowed: its reference count is unchanged on return.
    /// </summary>
    [SupportedOSPlatform("windows")]
    public static unsafe GpuAdapter Describe(IntPtr adapter)
    {
        if (adapter == IntPtr.Zero) throw new SegArgumentException("adapter", "is a null IDXGIAdapter pointer");
        // DXGI_ADAPTER_DESC1 has the software flag; every adapter of DXGI 1.1 (Windows 7 on) answers IDXGIAdapter1.
        Guid iid = IidAdapter1;
        IntPtr adapter1;
        int hr = ((delegate* unmanaged[Stdcall]<IntPtr, Guid*, IntPtr*, int>)Slot(adapter, 0))(adapter, &iid, &adapter1);
        if (hr >= 0 && adapter1 != IntPtr.Zero)
        {
            try { return GetDesc1(adapter1, 0); }
            finally { Release(adapter1); }
        }
        Span<byte> desc = stackalloc byte[Desc1_64Bytes];
        fixed (byte* p = desc)
        {
            hr = ((delegate* unmanaged[Stdcall]<IntPtr, byte*, int>)Slot(adapter, SlotGetDesc))(adapter, p);
        }
        Check(hr, "IDXGIAdapter::GetDesc");
        return ParseDesc(desc, IntPtr.Size);
    }

    /// <summary>
    /// DXGI_ADAPTER_DESC1 (<paramref name="hasFlags"/>) or DXGI_ADAPTER_DESC bytes as laid out in a process whose
    /// SIZE_T is <paramref name="pointerSize"/> bytes, read into a <see cref="GpuAdapter"/>.
    /// </summary>
    internal static GpuAdapter Parse(ReadOnlySpan<byte> desc, int pointerSize, bool hasFlags)
    {
        if (pointerSize is not (4 or 8))
            throw new SegArgumentException("pointerSize", $"must be 4 or 8 bytes, got {pointerSize}");
        // WCHAR Description[128]; UINT VendorId, DeviceId, SubSysId, Revision; SIZE_T x3; LUID { DWORD; LONG }; UINT Flags.
        int luidAt = 256 + 16 + 3 * pointerSize;
        int need = luidAt + 8 + (hasFlags ? 4 : 0);
        if (desc.Length < need)
            throw new SegArgumentException("desc", $"is {desc.Length} bytes; a DXGI_ADAPTER_DESC{(hasFlags ? "1" : "")} with {pointerSize}-byte SIZE_T needs {need}");
        var name = MemoryMarshal.Cast<byte, char>(desc[..256]);
        int end = name.IndexOf('\0');
        string description = (end < 0 ? name : name[..end]).ToString().Trim();
        uint vendor = BinaryPrimitives.ReadUInt32LittleEndian(desc[256..]);
        uint device = BinaryPrimitives.ReadUInt32LittleEndian(desc[260..]);
        uint low = BinaryPrimitives.ReadUInt32LittleEndian(desc[luidAt..]);
        int high = BinaryPrimitives.ReadInt32LittleEndian(desc[(luidAt + 4)..]);
        long luid = ((long)high << 32) | low;
        bool software = hasFlags
            ? (BinaryPrimitives.ReadUInt32LittleEndian(desc[(luidAt + 8)..]) & SoftwareFlag) != 0
            : vendor == MicrosoftVendorId && device == BasicRenderDeviceId;
        return new GpuAdapter(luid, description, vendor, device, software);
    }

    internal static GpuAdapter ParseDesc1(ReadOnlySpan<byte> desc, int pointerSize) => Parse(desc, pointerSize, hasFlags: true);

    internal static GpuAdapter ParseDesc(ReadOnlySpan<byte> desc, int pointerSize) => Parse(desc, pointerSize, hasFlags: false);

    // COM vtable slots: IUnknown 0-2, IDXGIObject 3-6, IDXGIFactory 7-11 (EnumAdapters1 follows), IDXGIAdapter 7-9
    // (EnumOutputs, GetDesc, CheckInterfaceSupport; IDXGIAdapter1::GetDesc1 follows).
    private const int SlotRelease = 2, SlotEnumAdapters1 = 12, SlotGetDesc = 8, SlotGetDesc1 = 10;
    private const int DxgiErrorNotFound = unchecked((int)0x887A0002);
    private static readonly Guid IidFactory1 = new("770aae78-f26f-4dba-a829-253c83d1b387");
    private static readonly Guid IidAdapter1 = new("29038f61-3839-4626-91fd-086879011a05");

    [DllImport("dxgi.dll", ExactSpelling = true)]
    private static extern unsafe int CreateDXGIFactory1(Guid* riid, IntPtr* factory);

    [SupportedOSPlatform("windows")]
    private static unsafe IReadOnlyList<GpuAdapter> EnumerateWindows()
    {
        Guid iid = IidFactory1;
        IntPtr factory;
        int hr;
        try { hr = CreateDXGIFactory1(&iid, &factory); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        { throw new SegException($"dxgi.dll could not be loaded ({e.Message}); the GPU adapters cannot be listed", e); }
        Check(hr, "CreateDXGIFactory1");
        try
        {
            var enumAdapters1 = (delegate* unmanaged[Stdcall]<IntPtr, uint, IntPtr*, int>)Slot(factory, SlotEnumAdapters1);
            var adapters = new List<GpuAdapter>();
            for (uint i = 0; i <= DeviceSpec.MaxId; i++)
            {
                IntPtr adapter;
                hr = enumAdapters1(factory, i, &adapter);
                if (hr == DxgiErrorNotFound) break;
                Check(hr, $"IDXGIFactory1::EnumAdapters1({i})");
                try { adapters.Add(GetDesc1(adapter, i)); }
                finally { Release(adapter); }
            }
            return adapters;
        }
        finally { Release(factory); }
    }

    private static unsafe GpuAdapter GetDesc1(IntPtr adapter1, uint index)
    {
        Span<byte> desc = stackalloc byte[Desc1_64Bytes];
        int hr;
        fixed (byte* p = desc)
        {
            hr = ((delegate* unmanaged[Stdcall]<IntPtr, byte*, int>)Slot(adapter1, SlotGetDesc1))(adapter1, p);
        }
        Check(hr, $"IDXGIAdapter1::GetDesc1 (adapter {index})");
        return ParseDesc1(desc, IntPtr.Size);
    }

    private static unsafe IntPtr Slot(IntPtr comObject, int slot) => (*(IntPtr**)comObject)[slot];

    private static unsafe void Release(IntPtr comObject) =>
        ((delegate* unmanaged[Stdcall]<IntPtr, uint>)Slot(comObject, SlotRelease))(comObject);

    private static void Check(int hr, string call)
    {
        if (hr < 0) throw new SegException($"{call} failed with HRESULT 0x{hr:X8}; the GPU adapters cannot be listed");
    }
}

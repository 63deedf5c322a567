using Microsoft.ML.OnnxRuntime;
using SegPlugins.Core.Effects.MagicSelect;
using SegPlugins.Core.Inference;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

/// <summary><see cref="DirectMLDevices.Choose"/> with fake adapter lists: every way a host's adapter can map, or not.</summary>
public class DeviceChoiceTests
{
    private static readonly GpuAdapter Intel = new(0x1_0000_00A1, "Intel(R) UHD Graphics 770", 0x8086, 0x4680, false);
    private static readonly GpuAdapter Nvidia = new(0x1_0000_00B2, "NVIDIA GeForce RTX 4070", 0x10DE, 0x2786, false);
    private static readonly GpuAdapter Warp = new(0x1_0000_00C3, "Microsoft Basic Render Driver", 0x1414, 0x8C, true);
    private static readonly GpuAdapter[] Order = [Intel, Nvidia, Warp];

    /// <summary>An enumerator that counts its calls.</summary>
    private sealed class Lister(Func<IReadOnlyList<GpuAdapter>> list)
    {
        public int Calls;
        public IReadOnlyList<GpuAdapter> List() { Calls++; return list(); }
    }

    private static DeviceChoice Choose(GpuAdapter? chosen, int? hostIndex, IReadOnlyList<GpuAdapter>? order = null) =>
        DirectMLDevices.Choose(() => order ?? Order, chosen, hostIndex, "Paint.NET");

    [Fact]
    public void TheChosenAdapterRunsDirectMLOnItsDxgiIndex()
    {
        var c = Choose(Nvidia, hostIndex: 1);
        Assert.Equal(ExecutionDevice.DirectML, c.Device);
        Assert.Equal(1, c.DeviceId);
        Assert.Equal("Running on the GPU (DirectML): 'NVIDIA GeForce RTX 4070' is DXGI adapter 1.", c.Reason);
        var options = c.ApplyTo(EngineOptions.Default with { IntraOpThreads = 3 });
        Assert.Equal((ExecutionDevice.DirectML, (int?)1, (int?)3), (options.Device, options.DeviceId, options.IntraOpThreads));
        Assert.Equal(0, Choose(Intel, hostIndex: null).DeviceId);
    }

    [Fact]
    public void TheLuidWinsWhenTheHostsIndexDisagrees()
    {
        var c = Choose(Nvidia, hostIndex: 0);
        Assert.Equal(1, c.DeviceId);
        Assert.Contains("Paint.NET numbers it 0, the LUID decides", c.Reason);
        // An index past the end is no reason to doubt a listed LUID either.
        Assert.Equal(1, Choose(Nvidia, hostIndex: 9).DeviceId);
    }

    [Fact]
    public void WithoutTheLuidTheHostsIndexPicksAmongLookAlikes()
    {
        GpuAdapter[] twins = [Nvidia with { Luid = 11 }, Nvidia with { Luid = 12 }];
        var restarted = Nvidia with { Luid = 99 };   // the list was taken before a driver restart
        var c = Choose(restarted, hostIndex: 1, twins);
        Assert.Equal(1, c.DeviceId);
        Assert.Contains("Paint.NET's index; its LUID is not listed", c.Reason);
        // Without an index two look-alikes cannot be told apart: the CPU, and the reason says why.
        var none = Choose(restarted, hostIndex: null, twins);
        Assert.Equal(ExecutionDevice.Cpu, none.Device);
        Assert.Null(none.DeviceId);
        Assert.Contains("2 identical adapters", none.Reason);
        // An index that points at another model is not trusted; the unique name match is.
        var moved = Choose(Nvidia with { Luid = 99 }, hostIndex: 0);
        Assert.Equal(1, moved.DeviceId);
        Assert.Contains("matched by vendor, device and name", moved.Reason);
    }

    [Fact]
    public void SoftwareUnknownOrMissingAdaptersRunOnTheCpu()
    {
        var lister = new Lister(() => Order);
        var warp = DirectMLDevices.Choose(lister.List, Warp, 2, "Paint.NET");
        Assert.Equal((ExecutionDevice.Cpu, (int?)null), (warp.Device, warp.DeviceId));
        Assert.Equal("Running on the CPU: 'Microsoft Basic Render Driver' is a software adapter; the CPU provider is faster.", warp.Reason);
        var nothing = DirectMLDevices.Choose(lister.List, null, null, "Paint.NET");
        Assert.Equal("Running on the CPU: Paint.NET names no rendering adapter.", nothing.Reason);
        Assert.Equal(0, lister.Calls);   // the answer was the CPU either way: DXGI is not asked

        var unknown = Choose(new GpuAdapter(0x3_0000_0001, "AMD Radeon RX 7600", 0x1002, 0x7480, false), hostIndex: null);
        Assert.Equal(ExecutionDevice.Cpu, unknown.Device);
        Assert.Contains("not among the 3 adapters DXGI lists", unknown.Reason);
        Assert.Equal(ExecutionDevice.Cpu, Choose(Nvidia, 1, order: []).Device);
    }

    [Fact]
    public void OnlyAnIndexIsCheckedAgainstTheList()
    {
        var c = Choose(null, hostIndex: 1);
        Assert.Equal(1, c.DeviceId);
        Assert.Contains("'NVIDIA GeForce RTX 4070' is DXGI adapter 1 (Paint.NET's index", c.Reason);
        Assert.Contains("Paint.NET's adapter 3 is not among the 3 adapters", Choose(null, hostIndex: 3).Reason);
        Assert.Equal(ExecutionDevice.Cpu, Choose(null, hostIndex: -1).Device);
        Assert.Contains("software adapter", Choose(null, hostIndex: 2).Reason);
    }

    [Fact]
    public void AFailedEnumerationMeansTheCpuWithTheReason()
    {
        var c = DirectMLDevices.Choose(() => throw new PlatformNotSupportedException("no dxgi.dll here\nmore detail"), Nvidia, 1, "Paint.NET");
        Assert.Equal(ExecutionDevice.Cpu, c.Device);
        Assert.Equal("Running on the CPU: the GPU adapters could not be listed (no dxgi.dll here).", c.Reason);
        var seg = DirectMLDevices.Choose(() => throw new SegException("CreateDXGIFactory1 failed with HRESULT 0x887A0004"), Nvidia, null);
        Assert.Contains("0x887A0004", seg.Reason);
        var nullList = DirectMLDevices.Choose(() => null!, Nvidia, null);
        Assert.Equal(ExecutionDevice.Cpu, nullList.Device);
        // Cancellation is not a failure to hide.
        Assert.Throws<OperationCanceledException>(() => DirectMLDevices.Choose(() => throw new OperationCanceledException(), Nvidia, null));
    }

    [Fact]
    public void ProviderFailuresAreOnnxRuntimeErrorsNotMissingFiles()
    {
        // A real ONNX Runtime error: bytes that are no model.
        OnnxRuntimeException ort = Assert.ThrowsAny<OnnxRuntimeException>(() => new InferenceSession(new byte[] { 1, 2, 3, 4 }));
        Assert.True(DirectMLDevices.IsProviderFailure(ort));
        Assert.True(DirectMLDevices.IsProviderFailure(new SegModelException("mobilesam", "could not be loaded by ONNX Runtime", ort)));
        Assert.True(DirectMLDevices.IsProviderFailure(new AggregateException(new System.Runtime.InteropServices.COMException("device removed", unchecked((int)0x887A0005)))));
        Assert.False(DirectMLDevices.IsProviderFailure(new SegModelException("mobilesam", "file not found: enc.onnx")));
        Assert.False(DirectMLDevices.IsProviderFailure(new SegArgumentException("Encoder file", "no encoder file chosen")));
        Assert.False(DirectMLDevices.IsProviderFailure(null));
    }

    [Fact]
    public void EachDeviceHasOneSharedProvider()
    {
        var cpu = SamModelProvider.SharedOn(ExecutionDevice.Cpu);
        Assert.Same(cpu, SamModelProvider.SharedOn(ExecutionDevice.Cpu));
        var gpu1 = SamModelProvider.SharedOn(ExecutionDevice.DirectML, 1);
        Assert.NotSame(cpu, gpu1);
        Assert.NotSame(gpu1, SamModelProvider.SharedOn(ExecutionDevice.DirectML, 0));
        Assert.Same(gpu1, SamModelProvider.SharedOn(ExecutionDevice.DirectML, 1));
        Assert.Equal((ExecutionDevice.DirectML, (int?)1), (gpu1.Options.Device, gpu1.Options.DeviceId));
        Assert.Equal((ExecutionDevice.Cpu, (int?)null), (cpu.Options.Device, cpu.Options.DeviceId));
    }

    [Fact]
    public void ASharedProviderKeepsTheEnginesNoticesForTheHost()
    {
        // The sessions' loader reports a device it could not use through EngineOptions.Notice (OnnxModelLoader).
        var provider = SamModelProvider.SharedOn(ExecutionDevice.DirectML, 7);
        provider.TakeNotices();
        Assert.NotNull(provider.Options.Notice);
        provider.Options.Notice!("DirectML is not available on this machine; running on the CPU.");
        provider.Options.Notice!("second");
        Assert.Equal(["DirectML is not available on this machine; running on the CPU.", "second"], provider.TakeNotices());
        Assert.Empty(provider.TakeNotices());
        Assert.Empty(SamModelProvider.SharedOn(ExecutionDevice.DirectML, 6).TakeNotices());
    }
}

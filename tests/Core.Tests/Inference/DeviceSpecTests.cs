using SegPlugins.Core.Inference;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

public class DeviceSpecTests
{
    [Theory]
    [InlineData("auto", ExecutionDevice.Auto, null)]
    [InlineData("CPU", ExecutionDevice.Cpu, null)]
    [InlineData("dml", ExecutionDevice.DirectML, null)]
    [InlineData("directml:2", ExecutionDevice.DirectML, 2)]
    [InlineData(" dml:0 ", ExecutionDevice.DirectML, 0)]
    [InlineData("cuda:1", ExecutionDevice.Cuda, 1)]
    public void ParsesDevicesAndNumbers(string text, ExecutionDevice device, int? id)
    {
        var spec = DeviceSpec.Parse(text);
        Assert.Equal(device, spec.Device);
        Assert.Equal(id, spec.Id);
        Assert.Equal(spec, DeviceSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("gpu", "not a device")]
    [InlineData("cpu:1", "only dml and cuda take a device number")]
    [InlineData("dml:", "device number must be 0..63")]
    [InlineData("dml:-1", "device number must be 0..63")]
    [InlineData("cuda:64", "device number must be 0..63")]
    [InlineData("cuda:1x", "device number must be 0..63")]
    public void RefusesBadDevicesNamingTheOption(string text, string expected)
    {
        var e = Assert.Throws<SegArgumentException>(() => DeviceSpec.Parse(text));
        Assert.Contains("--device", e.Message);
        Assert.Contains(expected, e.Message);
    }

    private static readonly GpuAdapter Intel = new(0x1_0000_00A1, "Intel(R) UHD Graphics 770", 0x8086, 0x4680, false);
    private static readonly GpuAdapter Nvidia = new(0x1_0000_00B2, "NVIDIA GeForce RTX 4070", 0x10DE, 0x2786, false);
    private static readonly GpuAdapter Warp = new(0x1_0000_00C3, "Microsoft Basic Render Driver", 0x1414, 0x8C, true);

    [Fact]
    public void ChosenAdapterMapsToItsEnumerationIndexByLuid()
    {
        var order = new[] { Intel, Nvidia, Warp };
        Assert.Equal(1, DirectMLDevices.IdFor(order, Nvidia).Id);
        Assert.Equal(0, DirectMLDevices.IdFor(order, Intel).Id);
        // The same adapter after a driver restart has a new LUID: found by vendor, device and name.
        Assert.Equal(1, DirectMLDevices.IdFor(order, Nvidia with { Luid = 0x2_0000_0001 }).Id);
    }

    [Fact]
    public void SoftwareUnknownOrAmbiguousAdaptersAreNotUsed()
    {
        var order = new[] { Intel, Nvidia, Warp };
        var (id, reason) = DirectMLDevices.IdFor(order, Warp);
        Assert.Null(id);
        Assert.Contains("software adapter", reason);
        Assert.Null(DirectMLDevices.IdFor(order, null).Id);
        var unknown = new GpuAdapter(0x3_0000_0001, "AMD Radeon RX 7600", 0x1002, 0x7480, false);
        Assert.Contains("not among the 3 adapters", DirectMLDevices.IdFor(order, unknown).Reason);
        var twins = new[] { Nvidia with { Luid = 1 }, Nvidia with { Luid = 2 } };
        var (twinId, twinReason) = DirectMLDevices.IdFor(twins, Nvidia with { Luid = 3 });
        Assert.Null(twinId);
        Assert.Contains("2 identical adapters", twinReason);
        Assert.Equal(1, DirectMLDevices.IdFor(twins, Nvidia with { Luid = 2 }).Id);
    }
}

namespace SegPlugins.Core.Inference;

/// <summary>
/// An execution device and, for GPUs, which one: <c>auto</c>, <c>cpu</c>, <c>dml</c>, <c>dml:N</c>, <c>cuda</c>,
/// <c>cuda:N</c>. N is the provider's device id: for DirectML the adapter's index in DXGI's enumeration order, for
/// CUDA the CUDA device ordinal.
/// </summary>
public readonly record struct DeviceSpec(ExecutionDevice Device, int? Id = null)
{
    /// <summary>Largest device number accepted (no machine has more adapters than this).</summary>
    public const int MaxId = 63;

    public static DeviceSpec Parse(string text, string parameter = "--device")
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant();
        int colon = t.IndexOf(':');
        string name = colon < 0 ? t : t[..colon];
        var device = name switch
        {
            "auto" => ExecutionDevice.Auto,
            "cpu" => ExecutionDevice.Cpu,
            "dml" or "directml" => ExecutionDevice.DirectML,
            "cuda" => ExecutionDevice.Cuda,
            _ => throw new SegArgumentException(parameter, $"'{text}' is not a device; expected auto, cpu, dml, dml:N, cuda or cuda:N"),
        };
        if (colon < 0) return new DeviceSpec(device);
        if (device is not (ExecutionDevice.DirectML or ExecutionDevice.Cuda))
            throw new SegArgumentException(parameter, $"'{text}': only dml and cuda take a device number");
        string number = t[(colon + 1)..];
        if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id) || id > MaxId)
            throw new SegArgumentException(parameter, $"'{text}': the device number must be 0..{MaxId}");
        return new DeviceSpec(device, id);
    }

    public override string ToString()
    {
        string name = Device switch
        {
            ExecutionDevice.Cpu => "cpu",
            ExecutionDevice.DirectML => "dml",
            ExecutionDevice.Cuda => "cuda",
            _ => "auto",
        };
        return Id is { } id ? $"{name}:{id}" : name;
    }
}

/// <summary>A graphics adapter as DXGI describes it (the fields of DXGI_ADAPTER_DESC1 that identify one).</summary>
public sealed record GpuAdapter(long Luid, string Description, uint VendorId, uint DeviceId, bool IsSoftware);

/// <summary>
/// Maps the adapter a host renders with (Paint.NET 5.1: <c>IDxgiAdapterService.GetRenderingAdapter()</c>) to the
/// DirectML device id that ONNX Runtime takes: the adapter's index in DXGI's <c>EnumAdapters1</c> order.
/// </summary>
public static class DirectMLDevices
{
    /// <summary>
    /// The DirectML device id of <paramref name="chosen"/> among <paramref name="enumerationOrder"/>, or null (with the
    /// reason) when it should not or cannot be used: a software adapter (WARP, the Basic Render Driver) is slower than
    /// the CPU provider. The adapter is found by its LUID, which is unique while the system runs; when the LUID is not
    /// found (the adapter list was taken at another time, after a driver restart) by vendor, device and description,
    /// if exactly one adapter matches.
    /// </summary>
    public static (int? Id, string Reason) IdFor(IReadOnlyList<GpuAdapter> enumerationOrder, GpuAdapter? chosen)
    {
        ArgumentNullException.ThrowIfNull(enumerationOrder);
        if (chosen is null) return (null, "the host names no rendering adapter");
        if (chosen.IsSoftware) return (null, $"'{chosen.Description}' is a software adapter; the CPU provider is faster");
        for (int i = 0; i < enumerationOrder.Count; i++)
            if (enumerationOrder[i].Luid == chosen.Luid)
                return (i, $"'{chosen.Description}' is DXGI adapter {i}");
        int found = -1, matches = 0;
        for (int i = 0; i < enumerationOrder.Count; i++)
        {
            var a = enumerationOrder[i];
            if (!a.IsSoftware && a.VendorId == chosen.VendorId && a.DeviceId == chosen.DeviceId && a.Description == chosen.Description)
            {
                found = i;
                matches++;
            }
        }
        return matches switch
        {
            1 => (found, $"'{chosen.Description}' is DXGI adapter {found} (matched by vendor, device and name)"),
            0 => (null, $"'{chosen.Description}' is not among the {enumerationOrder.Count} adapters DXGI lists"),
            _ => (null, $"{matches} identical adapters are named '{chosen.Description}' and none has its LUID; the default adapter is used"),
        };
    }
}

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
            if (!a.IsSoftware && LooksAlike(a, chosen))
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

    /// <summary>
    /// Where a host's models should run, given the adapter the host renders with: DirectML on that adapter's DXGI
    /// index, or the CPU, with the reason as one line a host can show. <paramref name="chosen"/> is the host's adapter
    /// as DXGI describes it (null when the host names none or it could not be read); <paramref name="hostIndex"/> the
    /// host's own enumeration index for it, when it offers one (Paint.NET's <c>GetEnumAdapterIndex()</c>).
    /// <paramref name="enumerate"/> lists the adapters in DXGI's order (<see cref="DxgiAdapters.Enumerate"/>); it is not
    /// called when the answer is the CPU anyway. The LUID decides when the host's index and the LUID disagree (the LUID
    /// names one adapter while the system runs; an index can shift when an adapter comes or goes); the index only picks
    /// among adapters that look alike when the LUID is not listed. Never throws for a failed enumeration: the answer is
    /// then the CPU and the reason says why.
    /// </summary>
    public static DeviceChoice Choose(Func<IReadOnlyList<GpuAdapter>> enumerate, GpuAdapter? chosen, int? hostIndex, string host = "the host")
    {
        ArgumentNullException.ThrowIfNull(enumerate);
        ArgumentNullException.ThrowIfNull(host);
        if (chosen is { IsSoftware: true })
            return DeviceChoice.Cpu($"'{chosen.Description}' is a software adapter; the CPU provider is faster");
        if (chosen is null && hostIndex is null)
            return DeviceChoice.Cpu($"{host} names no rendering adapter");
        IReadOnlyList<GpuAdapter> order;
        try { order = enumerate() ?? throw new SegException("the adapter list is missing"); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return DeviceChoice.Cpu($"the GPU adapters could not be listed ({OnnxModelLoader.FirstLine(e.Message)})");
        }

        if (chosen is null)
        {
            int h = hostIndex!.Value;
            if (h < 0 || h >= order.Count)
                return DeviceChoice.Cpu($"{host}'s adapter {h} is not among the {order.Count} adapters DXGI lists");
            if (order[h].IsSoftware)
                return DeviceChoice.Cpu($"'{order[h].Description}' is a software adapter; the CPU provider is faster");
            return DeviceChoice.Gpu(h, $"'{order[h].Description}' is DXGI adapter {h} ({host}'s index; its description could not be read)");
        }

        for (int i = 0; i < order.Count; i++)
        {
            if (order[i].Luid != chosen.Luid) continue;
            string disagreement = hostIndex is { } other && other != i ? $"; {host} numbers it {other}, the LUID decides" : "";
            return DeviceChoice.Gpu(i, $"'{chosen.Description}' is DXGI adapter {i}{disagreement}");
        }
        if (hostIndex is { } hi && hi >= 0 && hi < order.Count && !order[hi].IsSoftware && LooksAlike(order[hi], chosen))
            return DeviceChoice.Gpu(hi, $"'{chosen.Description}' is DXGI adapter {hi} ({host}'s index; its LUID is not listed)");
        var (id, reason) = IdFor(order, chosen);
        return id is { } found ? DeviceChoice.Gpu(found, reason) : DeviceChoice.Cpu(reason);
    }

    /// <summary>
    /// True when <paramref name="error"/> (or an exception inside it) is ONNX Runtime or the native layer below it
    /// failing to create or run a session: the failures a GPU provider can have that the CPU provider may not (an
    /// operator DirectML lacks, a removed device, a driver fault). A missing file or a bad argument is not one.
    /// </summary>
    public static bool IsProviderFailure(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or System.Runtime.InteropServices.SEHException
                or System.Runtime.InteropServices.COMException or EntryPointNotFoundException)
                return true;
        return false;
    }

    private static bool LooksAlike(GpuAdapter a, GpuAdapter b) =>
        a.VendorId == b.VendorId && a.DeviceId == b.DeviceId && a.Description == b.Description;
}

/// <summary>
/// Where the models run (<see cref="ExecutionDevice.DirectML"/> with a DXGI adapter index, or the CPU) and why, as one
/// line a host can show (<see cref="DirectMLDevices.Choose"/>).
/// </summary>
public sealed record DeviceChoice(ExecutionDevice Device, int? DeviceId, string Reason)
{
    public static DeviceChoice Cpu(string why) => new(ExecutionDevice.Cpu, null, $"Running on the CPU: {why}.");

    public static DeviceChoice Gpu(int dxgiIndex, string why) => new(ExecutionDevice.DirectML, dxgiIndex, $"Running on the GPU (DirectML): {why}.");

    /// <summary><paramref name="options"/> with this device.</summary>
    public EngineOptions ApplyTo(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options with { Device = Device, DeviceId = DeviceId };
    }
}

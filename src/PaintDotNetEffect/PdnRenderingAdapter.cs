using System.Runtime.InteropServices;
using SegPlugins.Core.Inference;

namespace SegPlugins.PaintDotNetEffect;

/// <summary>
/// The device the effect's models run on: DirectML on the adapter the user chose in Paint.NET (Settings, Graphics,
/// Rendering device), else the CPU with the reason. Paint.NET hands plugins that adapter through a service:
/// <c>PaintDotNet.AppModel.IDxgiAdapterService2.GetRenderingAdapter()</c>, which returns a SafeDxgiAdapter, or in
/// Paint.NET 5.1 <c>IDxgiAdapterService.GetRenderingAdapter()</c>, which returns a SafeComObject; both are safe handles
/// around an IDXGIAdapter pointer. The services are looked up by name, so that one build (compiled against 5.1, which
/// has no IDxgiAdapterService2) uses whichever the running Paint.NET has, and a missing one is a reason, not a failure
/// to load. Everything after the pointer is Core: <see cref="DxgiAdapters"/> and <see cref="DirectMLDevices.Choose"/>.
/// </summary>
internal static class PdnRenderingAdapter
{
    private const string Host = "Paint.NET";

    // Newest first: the later service is the one Paint.NET keeps current.
    private static readonly string[] ServiceTypes =
    [
        "PaintDotNet.AppModel.IDxgiAdapterService2",
        "PaintDotNet.AppModel.IDxgiAdapterService",
    ];

    public static DeviceChoice Choose(IServiceProvider? services)
    {
        var (adapter, index, problem) = Read(services);
        return problem is not null
            ? DeviceChoice.Cpu(problem)
            : DirectMLDevices.Choose(DxgiAdapters.Enumerate, adapter, index, Host);
    }

    private static (GpuAdapter? Adapter, int? Index, string? Problem) Read(IServiceProvider? services)
    {
        if (services is null) return (null, null, $"{Host} gave the effect no services to ask for its rendering adapter");
        foreach (string name in ServiceTypes)
        {
            Type? type = FindType(name);
            object? service = type is null ? null : services.GetService(type);
            if (service is null) continue;
            object? result = null;
            try
            {
                result = type!.GetMethod("GetRenderingAdapter", Type.EmptyTypes)?.Invoke(service, null);
                if (result is not SafeHandle handle)
                    return (null, null, $"{name}.GetRenderingAdapter() gave {result?.GetType().FullName ?? "nothing"}, not an adapter handle");
                bool added = false;
                handle.DangerousAddRef(ref added);
                try
                {
                    // Borrowed for the call only: Describe leaves the adapter's COM reference count as it was.
                    return (DxgiAdapters.Describe(handle.DangerousGetHandle()), EnumAdapterIndex(result), null);
                }
                finally
                {
                    if (added) handle.DangerousRelease();
                }
            }
            catch (Exception e)
            {
                var inner = e is System.Reflection.TargetInvocationException { InnerException: { } i } ? i : e;
                return (null, null, $"{Host}'s rendering adapter could not be read ({inner.GetType().Name}: {FirstLine(inner.Message)})");
            }
            finally
            {
                (result as IDisposable)?.Dispose();
            }
        }
        return (null, null, $"this {Host} offers plugins no rendering-adapter service (Paint.NET 5.1 and later do)");
    }

    /// <summary>
    /// The adapter's index in Paint.NET's own DXGI enumeration, where its adapter object offers one
    /// (<c>GetEnumAdapterIndex()</c>, seen on Paint.NET's SafeDxgiAdapter); null otherwise. Only a cross-check: Core
    /// decides by the adapter's LUID.
    /// </summary>
    private static int? EnumAdapterIndex(object adapter)
    {
        try
        {
            return adapter.GetType().GetMethod("GetEnumAdapterIndex", Type.EmptyTypes)?.Invoke(adapter, null) switch
            {
                int i => i,
                uint u when u <= int.MaxValue => (int)u,
                _ => null,
            };
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static Type? FindType(string fullName)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
            if (assembly.GetType(fullName, throwOnError: false) is { } type)
                return type;
        return null;
    }

    private static string FirstLine(string s)
    {
        int i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }
}

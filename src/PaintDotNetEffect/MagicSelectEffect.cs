using System.Buffers;
using System.Diagnostics;
using PaintDotNet;
using PaintDotNet.Effects;
using PaintDotNet.Imaging;
using PaintDotNet.IndirectUI;
using PaintDotNet.PropertySystem;
using PaintDotNet.Rendering;
using SegPlugins.Core;
using SegPlugins.Core.Effects;
using SegPlugins.Core.Effects.MagicSelect;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Masks;
using SegColor = SegPlugins.Core.Effects.MagicSelect.Bgra32;
using SegPlugins.Core.Geometry;

namespace SegPlugins.PaintDotNetEffect;

/// <summary>
/// Paint.NET 5.1 effect "Magic Select (SAM)": finds the object under the include points (and inside the selection
/// bounds) and keeps, erases, fills, shows or frees it. Everything but the mapping to Paint.NET lives in
/// SegPlugins.Core (<see cref="MagicSelectRenderer"/>), which is tested on every platform; this class only moves
/// property values and pixels between Paint.NET and Core.
/// </summary>
[PluginSupportInfo(typeof(MagicSelectPluginInfo))]
public sealed class MagicSelectEffect : PropertyBasedBitmapEffect
{
    private static readonly string PluginFolder =
        System.IO.Path.GetDirectoryName(typeof(MagicSelectEffect).Assembly.Location) ?? AppContext.BaseDirectory;

    static MagicSelectEffect()
    {
        // Before the first ONNX Runtime call: Paint.NET's own folder is not where our native DLLs are.
        NativeLibraryResolver.InstallForOnnxRuntime(PluginFolder);
    }

    // Made on the first Prepare, on the device chosen from Paint.NET's rendering adapter (PdnRenderingAdapter), and
    // made again on the CPU when DirectML fails.
    private volatile MagicSelectRenderer? _renderer;
    private DeviceChoice? _device;
    private SamModelProvider? _models;
    private volatile bool _prepared;

    // Set when DirectML failed in this process: later runs of the effect go straight to the CPU, with this reason.
    private static volatile string? _gpuFailure;

    // Source, selection and colours are fixed while the dialog is open, so they are read once per effect instance.
    private MagicSelectInput? _input;

    public MagicSelectEffect()
        : base(MagicSelectPluginInfo.Name, "Object", BitmapEffectOptions.Create() with { IsConfigurable = true })
    {
    }

    protected override PropertyCollection OnCreatePropertyCollection()
    {
        var props = new List<Property>();
        var rules = new List<PropertyCollectionRule>();
        foreach (var p in MagicSelectSchema.Properties)
        {
            props.Add(PdnProperties.Create(p));
            if (p.EnabledWhen is { } when) rules.Add(PdnProperties.Rule(p.Name, when));
        }
        return new PropertyCollection(props, rules);
    }

    protected override ControlInfo OnCreateConfigUI(PropertyCollection props)
    {
        ControlInfo ui = CreateDefaultConfigUI(props);
        foreach (var p in MagicSelectSchema.Properties) PdnProperties.Configure(ui, p);
        return ui;
    }

    /// <summary>Paint.NET calls this once per change of the dialog's values, before rendering: the model runs here.</summary>
    protected override void OnSetToken(PropertyBasedEffectConfigToken? newToken)
    {
        base.OnSetToken(newToken);
        _prepared = false;
        if (newToken is null) return;
        Prepare(newToken);
    }

    protected override void OnRender(IBitmapEffectOutput output)
    {
        RectInt32 bounds = output.Bounds;
        using IBitmapLock<ColorBgra32> outputLock = output.LockBgra32();
        RegionPtr<ColorBgra32> dst = outputLock.AsRegionPtr();

        int rowBytes = bounds.Width * 4;
        byte[] tile = ArrayPool<byte>.Shared.Rent(rowBytes * bounds.Height);
        try
        {
            if (_prepared && _renderer is { } renderer && renderer.CopyTile(new PixelRect(bounds.X, bounds.Y, bounds.Width, bounds.Height), tile, rowBytes))
            {
                for (int y = 0; y < bounds.Height; y++)
                {
                    if (IsCancelRequested) return;
                    int row = y * rowBytes;
                    for (int x = 0; x < bounds.Width; x++)
                    {
                        int i = row + 4 * x;
                        dst[x, y] = ColorBgra32.FromBgra(tile[i], tile[i + 1], tile[i + 2], tile[i + 3]);
                    }
                }
                return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(tile);
        }

        // Nothing prepared (e.g. unreadable settings): the source, unchanged.
        using IEffectInputBitmap<ColorBgra32> source = Environment.GetSourceBitmapBgra32();
        using IBitmapLock<ColorBgra32> sourceLock = source.Lock(bounds);
        RegionPtr<ColorBgra32> src = sourceLock.AsRegionPtr();
        for (int y = 0; y < bounds.Height; y++)
            for (int x = 0; x < bounds.Width; x++)
                dst[x, y] = src[x, y];
    }

    private void Prepare(PropertyBasedEffectConfigToken token)
    {
        MagicSelectSettings settings;
        try
        {
            var values = new Dictionary<string, object?>();
            foreach (var p in MagicSelectSchema.Properties) values[p.Name] = PdnProperties.Read(token, p);
            settings = MagicSelectSettings.FromValues(values);
        }
        catch (SegException e)
        {
            Trace.WriteLine("SegPlugins Magic Select: " + e.Message);
            return;
        }

        // Paint.NET signals cancellation through IsCancelRequested; model runs take a CancellationToken.
        using var cts = new CancellationTokenSource();
        using var poll = new System.Threading.Timer(_ => { if (IsCancelRequested) cts.Cancel(); }, null, 50, 50);
        var renderer = _renderer ??= CreateRenderer();
        _input ??= ReadInput(renderer.MaxPixels);
        if (_input is null) return; // canvas over the size limit: the message is traced, the source stays unchanged
        var status = renderer.Prepare(settings, _input, cts.Token);
        if (status.Kind == EffectStatusKind.Error && _device is { Device: not ExecutionDevice.Cpu } gpu && DirectMLDevices.IsProviderFailure(status.Cause))
        {
            // DirectML could not open or run the model on this adapter: the CPU, for this and every later run.
            _gpuFailure = $"DirectML failed on DXGI adapter {gpu.DeviceId} ({status.Message})";
            Trace.WriteLine("SegPlugins Magic Select: " + _gpuFailure);
            _models?.Dispose(); // the GPU sessions are not used again in this process; free their memory
            _renderer = renderer = CreateRenderer();
            status = renderer.Prepare(settings, _input, cts.Token);
        }
        if (!status.IsReady) Trace.WriteLine("SegPlugins Magic Select: " + status.Message);
        // E.g. the DirectML provider could not be added for this adapter and the sessions opened on the CPU instead.
        foreach (string notice in _models!.TakeNotices())
            Trace.WriteLine("SegPlugins Magic Select: " + notice);
        _prepared = true;
    }

    /// <summary>
    /// A renderer on the adapter the user chose in Paint.NET when DirectML can use it, else on the CPU; the reason is
    /// traced, and a CPU reason also ends every ready message (MagicSelectRenderer.DeviceNote).
    /// </summary>
    private MagicSelectRenderer CreateRenderer()
    {
        var device = _gpuFailure is { } failure ? DeviceChoice.Cpu(failure) : PdnRenderingAdapter.Choose(Services);
        _device = device;
        _models = SamModelProvider.SharedOn(device.Device, device.DeviceId);
        Trace.WriteLine("SegPlugins Magic Select: " + device.Reason);
        return new MagicSelectRenderer(_models)
        {
            ShowProblemOverlay = true,
            DeviceNote = device.Device == ExecutionDevice.Cpu ? device.Reason : null,
        };
    }

    private MagicSelectInput? ReadInput(long maxPixels)
    {
        using IEffectInputBitmap<ColorBgra32> source = Environment.GetSourceBitmapBgra32();
        SizeInt32 size = source.Size;
        if (MagicSelectRenderer.CheckCanvasSize(size.Width, size.Height, maxPixels) is { } tooLarge)
        {
            Trace.WriteLine("SegPlugins Magic Select: " + tooLarge.Message);
            return null;
        }
        var image = new BgraImage(size.Width, size.Height);
        using (IBitmapLock<ColorBgra32> sourceLock = source.Lock(new RectInt32(0, 0, size)))
        {
            RegionPtr<ColorBgra32> src = sourceLock.AsRegionPtr();
            for (int y = 0; y < size.Height; y++)
            {
                var row = image.Row(y);
                for (int x = 0; x < size.Width; x++)
                {
                    ColorBgra32 c = src[x, y];
                    row[4 * x] = c.B;
                    row[4 * x + 1] = c.G;
                    row[4 * x + 2] = c.R;
                    row[4 * x + 3] = c.A;
                }
            }
        }

        // The selection as pixel rectangles; anti-aliased edge pixels count as selected and Paint.NET blends them.
        RectInt32 sb = Environment.Selection.RenderBounds;
        var scans = new List<PixelRect>();
        foreach (RectInt32 scan in Environment.Selection.RenderScans) scans.Add(new PixelRect(scan.X, scan.Y, scan.Width, scan.Height));

        ColorBgra32 primary = Environment.PrimaryColor.GetBgra32(source.ColorContext);
        ColorBgra32 secondary = Environment.SecondaryColor.GetBgra32(source.ColorContext);
        return MagicSelectInput.FromScans(image, new PixelRect(sb.X, sb.Y, sb.Width, sb.Height), scans,
            new SegColor(primary.B, primary.G, primary.R, primary.A),
            new SegColor(secondary.B, secondary.G, secondary.R, secondary.A));
    }
}

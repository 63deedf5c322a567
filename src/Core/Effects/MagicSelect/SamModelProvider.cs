using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;

namespace SegPlugins.Core.Effects.MagicSelect;

/// <summary>Gives the effect an open SAM session for its model setting.</summary>
public interface ISamModelProvider
{
    /// <summary>The session for <paramref name="settings"/>' model; throws <see cref="SegException"/> when it cannot be had.</summary>
    SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken);

    /// <summary>
    /// The salient-object model that reads a first click as "this object", or null when the host has none (first
    /// clicks are then read plainly). Throws <see cref="SegException"/> when it should exist but cannot be opened.
    /// </summary>
    SubjectSelector? GetSubjectModel(CancellationToken cancellationToken) => null;
}

/// <summary>
/// Opens sessions on demand and keeps them for the life of the process, so that every run of the effect (hosts
/// create a new effect object per use) shares the loaded models and their embedding cache. Thread-safe.
/// </summary>
public sealed class SamModelProvider : ISamModelProvider, IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, SamSession> _sessions = new(StringComparer.Ordinal);
    private readonly Func<string, EngineOptions, CancellationToken, SamSession> _openManaged;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notices = new();
    private SubjectSelector? _subject;

    public SamModelProvider(EngineOptions? options = null)
        : this(options ?? EngineOptions.Default, null)
    {
    }

    /// <summary>With <paramref name="openManaged"/> opening model-store models by id (default: SamSession.OpenAsync).</summary>
    internal SamModelProvider(EngineOptions options, Func<string, EngineOptions, CancellationToken, SamSession>? openManaged, bool keepNotices = false)
    {
        Options = keepNotices ? options with { Notice = _notices.Enqueue } : options;
        _openManaged = openManaged ?? ((id, o, ct) => SamSession.OpenAsync(id, o, null, ct).GetAwaiter().GetResult());
    }

    /// <summary>One provider per process, for hosts that create an effect object per use.</summary>
    public static SamModelProvider Shared => SharedInstance.Value;
    private static readonly Lazy<SamModelProvider> SharedInstance = new(() => new SamModelProvider());

    /// <summary>
    /// One provider per process and device, for hosts that pick the device themselves (the Paint.NET effect runs on
    /// the adapter chosen in Paint.NET's settings): a change of device opens new sessions, and going back reuses the
    /// ones already open.
    /// </summary>
    public static SamModelProvider SharedOn(ExecutionDevice device, int? deviceId = null)
    {
        lock (PerDevice)
        {
            if (!PerDevice.TryGetValue((device, deviceId), out var provider))
            {
                provider = new SamModelProvider(EngineOptions.Default with { Device = device, DeviceId = deviceId }, null, keepNotices: true);
                PerDevice[(device, deviceId)] = provider;
            }
            return provider;
        }
    }

    /// <summary>
    /// The engine's one-line notices since the last call (such as "DirectML is not available on this machine; running
    /// on the CPU.", when the chosen device could not be used), oldest first. Only providers from <see cref="SharedOn"/>
    /// keep them; the others pass <see cref="EngineOptions.Notice"/> through as given.
    /// </summary>
    public IReadOnlyList<string> TakeNotices()
    {
        var taken = new List<string>();
        while (_notices.TryDequeue(out var notice)) taken.Add(notice);
        return taken;
    }

    private static readonly Dictionary<(ExecutionDevice, int?), SamModelProvider> PerDevice = new();

    public EngineOptions Options { get; }

    public SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string key;
        Func<SamSession> open;
        var options = Options with { Precision = settings.Precision };
        if (settings.Model == MagicSelectModel.MobileSam)
        {
            key = "store:" + ModelIds.MobileSam;
            open = () => _openManaged(ModelIds.MobileSam, options, cancellationToken);
        }
        else
        {
            if (settings.EncoderFile.Length == 0)
                throw new SegArgumentException(MagicSelectSchema.EncoderFile, "no encoder file chosen; pick the SAM encoder .onnx file or switch the model back to MobileSAM");
            if (settings.DecoderFile.Length == 0)
                throw new SegArgumentException(MagicSelectSchema.DecoderFile, "no decoder file chosen; pick the SAM decoder .onnx file or switch the model back to MobileSAM");
            var enc = Path.GetFullPath(settings.EncoderFile);
            var dec = Path.GetFullPath(settings.DecoderFile);
            key = "files:" + enc + "|" + dec;
            open = () => SamSession.Open(enc, dec, options);
        }
        key += "|" + settings.Precision.Name();
        lock (_lock)
        {
            if (_sessions.TryGetValue(key, out var s)) return s;
            cancellationToken.ThrowIfCancellationRequested();
            s = open();
            _sessions[key] = s;
            return s;
        }
    }

    /// <summary>The u2netp subject model from the model store, fetched and verified on first use, then kept.</summary>
    public SubjectSelector? GetSubjectModel(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return _subject ??= SubjectSelector.OpenAsync(Options, null, cancellationToken).GetAwaiter().GetResult();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _subject?.Dispose();
            _subject = null;
            foreach (var s in _sessions.Values) s.Dispose();
            _sessions.Clear();
        }
    }
}

/// <summary>Always the same session, whatever the model setting (tests, and hosts that manage sessions themselves).</summary>
public sealed class FixedSamModelProvider(SamSession session, SubjectSelector? subject = null) : ISamModelProvider
{
    public SamSession Get(MagicSelectSettings settings, CancellationToken cancellationToken) => session;

    public SubjectSelector? GetSubjectModel(CancellationToken cancellationToken) => subject;
}

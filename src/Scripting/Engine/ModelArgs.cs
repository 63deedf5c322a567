using System.Collections.Concurrent;
using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// The model choice shared by commands and the recipe host: a manifest id or an encoder/decoder pair, the execution
/// device (and which GPU), the thread count and the encoder's precision. Parsed by the command line, used by both.
/// </summary>
public sealed record ModelArgs(string? ModelId, string? EncoderPath, string? DecoderPath, ExecutionDevice Device, int? Threads = null,
    ModelPrecision Precision = ModelPrecision.Fp32, bool OneShot = false)
{
    /// <summary>The number of <c>--device dml:N</c> / <c>cuda:N</c>.</summary>
    public int? DeviceId { get; init; }

    /// <summary>The SAM prompt decoder's precision (<c>--decoder-precision</c>; <see cref="EngineOptions.DecoderPrecision"/>).</summary>
    public ModelPrecision DecoderPrecision { get; init; } = ModelPrecision.Fp32;

    /// <summary>Sessions share one arena (<see cref="EngineOptions.ShareRunMemory"/>): for a process that keeps several models open.</summary>
    public bool ShareRunMemory { get; init; }

    /// <summary>The default model on the automatic device.</summary>
    public static ModelArgs Default { get; } = new(null, null, null, ExecutionDevice.Auto);

    public string DisplayName => EncoderPath is not null ? Path.GetFileName(EncoderPath) : ModelId ?? ModelIds.Default;

    /// <summary>Engine options for these models; a one-shot run (<see cref="OneShot"/>) keeps no run memory between runs.</summary>
    public EngineOptions Options(TextWriter stderr) => new()
    {
        Device = Device, DeviceId = DeviceId, IntraOpThreads = Threads, Precision = Precision, DecoderPrecision = DecoderPrecision, KeepRunMemory = !OneShot,
        ShareRunMemory = ShareRunMemory,
        Notice = m => Notices.Once(stderr, m),
    };

    /// <summary>
    /// True when opening the models reads only local files: user files, or a manifest model already in the cache
    /// (false when it would be fetched first, or when the id is unknown: opening then says so).
    /// </summary>
    public bool IsOnDisk()
    {
        if (EncoderPath is not null) return true;
        try { return ModelStore.CreateDefault().IsPresent(ModelId ?? ModelIds.Default); }
        catch (SegException) { return false; }
    }

    public async Task<SamSession> OpenSamAsync(TextWriter stderr, CancellationToken ct)
    {
        var options = Options(stderr);
        if (EncoderPath is not null)
            return SamSession.Open(EncoderPath, DecoderPath!, options);
        return await SamSession.OpenAsync(ModelId ?? ModelIds.Default, options, new ConsoleProgress(stderr), ct);
    }
}

/// <summary>
/// Engine notices (a missing execution provider falls back to the CPU) say the same thing for every session a command
/// opens: each text is printed once per process and writer.
/// </summary>
public static class Notices
{
    private static readonly ConcurrentDictionary<(TextWriter, string), byte> Printed = new();

    public static void Once(TextWriter writer, string message)
    {
        if (Printed.TryAdd((writer, message), 0)) writer.WriteLine(message);
    }
}

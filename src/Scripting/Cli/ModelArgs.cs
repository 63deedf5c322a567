using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Cli;

/// <summary>The model options shared by commands: <c>--model ID</c> or <c>--encoder E --decoder D</c>, <c>--device</c> and <c>--precision fp32|int8</c>.</summary>
public sealed record ModelArgs(string? ModelId, string? EncoderPath, string? DecoderPath, ExecutionDevice Device, int? Threads = null, ModelPrecision Precision = ModelPrecision.Fp32, bool OneShot = false)
{
    public static ModelArgs Read(ArgReader args)
    {
        var model = args.Get("--model");
        var enc = args.Get("--encoder");
        var dec = args.Get("--decoder");
        var spec = args.Get("--device") is { } d ? DeviceSpec.Parse(d) : new DeviceSpec(ExecutionDevice.Auto);
        if ((enc is null) != (dec is null))
            throw new SegArgumentException(enc is null ? "--encoder" : "--decoder", "--encoder and --decoder must be given together");
        if (model is not null && enc is not null)
            throw new SegArgumentException("--model", "give either --model or --encoder/--decoder, not both");
        int? threads = args.Get("--threads") is { } t ? args.GetInt("--threads", 0, 1, 256) : null;
        var precision = args.Get("--precision") is { } p ? ModelPrecisions.Parse(p) : ModelPrecision.Fp32;
        return new ModelArgs(model, enc, dec, spec.Device, threads, precision) { DeviceId = spec.Id };
    }

    /// <summary>The number of <c>--device dml:N</c> / <c>cuda:N</c>.</summary>
    public int? DeviceId { get; init; }

    public string DisplayName => EncoderPath is not null ? Path.GetFileName(EncoderPath) : ModelId ?? ModelIds.Default;

    public EngineOptions Options(TextWriter stderr) => new() { Device = Device, DeviceId = DeviceId, IntraOpThreads = Threads, Precision = Precision, KeepRunMemory = !OneShot, Notice = m => stderr.WriteLine(m) };

    public async Task<SamSession> OpenSamAsync(TextWriter stderr, CancellationToken ct)
    {
        var options = Options(stderr);
        if (EncoderPath is not null)
            return SamSession.Open(EncoderPath, DecoderPath!, options);
        return await SamSession.OpenAsync(ModelId ?? ModelIds.Default, options, new ConsoleProgress(stderr), ct);
    }
}

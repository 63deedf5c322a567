using System.CommandLine;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// The model options every model-using command takes: <c>--model ID</c> or <c>--encoder E --decoder D</c>,
/// <c>--device</c>, <c>--precision</c>, <c>--decoder-precision</c> and <c>--threads</c>. <see cref="AddTo"/> puts them on a command with the rule that the pair goes
/// together; <see cref="Read"/> maps a parse result to <see cref="ModelArgs"/>.
/// </summary>
public sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "model id from the manifest (see 'segplug models list'; default mobilesam)", HelpName = "ID" };
    public Option<string> Encoder { get; } = CliOptions.InputFile("--encoder", "E.onnx", "your own SAM encoder export (with --decoder)");
    public Option<string> Decoder { get; } = CliOptions.InputFile("--decoder", "D.onnx", "your own SAM decoder export (with --encoder)");
    public Option<DeviceSpec> Device { get; } = CliOptions.Device();
    public Option<ModelPrecision> Precision { get; } = CliOptions.Precision();
    public Option<ModelPrecision> DecoderPrecision { get; } = CliOptions.Precision("--decoder-precision",
        "the SAM prompt decoder's precision (every click runs it): int8 is made from the verified fp32 file on first use");
    public Option<int?> Threads { get; } = CliOptions.OptionalInt("--threads", "N", "CPU threads per model run (default: one per core)", 1, 256);

    public ModelOptions(bool threads = true)
    {
        _threads = threads;
        Model.CompletionSources.Add(_ => ModelManifest.Embedded.Models.Select(m => m.Id));
    }

    private readonly bool _threads;

    public T AddTo<T>(T command) where T : Command
    {
        command.Options.Add(Model);
        command.Options.Add(Encoder);
        command.Options.Add(Decoder);
        command.Options.Add(Device);
        command.Options.Add(Precision);
        command.Options.Add(DecoderPrecision);
        if (_threads) command.Options.Add(Threads);
        command.Validators.Add(r =>
        {
            bool enc = r.GetResult(Encoder) is not null, dec = r.GetResult(Decoder) is not null;
            if (enc != dec) r.AddError($"{(enc ? "--decoder" : "--encoder")}: --encoder and --decoder must be given together");
            else if (enc && r.GetResult(Model) is not null) r.AddError("--model: give either --model or --encoder/--decoder, not both");
        });
        return command;
    }

    public ModelArgs Read(ParseResult p)
    {
        var device = p.GetValue(Device);
        return new(p.GetValue(Model), p.GetValue(Encoder), p.GetValue(Decoder), device.Device, _threads ? p.GetValue(Threads) : null, p.GetValue(Precision))
        {
            DeviceId = device.Id,
            DecoderPrecision = p.GetValue(DecoderPrecision),
        };
    }
}

/// <summary>Model options plus FastSAM and the CLIP files for text prompts (<c>select</c>, <c>everything</c>).</summary>
public sealed class SegmenterOptions
{
    public ModelOptions Sam { get; } = new();
    public Option<string> FastSam { get; } = CliOptions.InputFile("--fastsam", "F.onnx", "a FastSAM export instead of a SAM model");
    public Option<string> ClipText { get; } = CliOptions.InputFile("--clip-text", "T.onnx", "CLIP text encoder for --text");
    public Option<string> ClipImage { get; } = CliOptions.InputFile("--clip-image", "I.onnx", "CLIP image encoder for --text");
    public Option<string> ClipVocab { get; } = CliOptions.InputFile("--clip-vocab", "V", "CLIP BPE vocabulary for --text");

    public T AddTo<T>(T command, bool clip) where T : Command
    {
        Sam.AddTo(command);
        command.Options.Add(FastSam);
        if (clip)
        {
            command.Options.Add(ClipText);
            command.Options.Add(ClipImage);
            command.Options.Add(ClipVocab);
        }
        command.Validators.Add(r =>
        {
            if (r.GetResult(FastSam) is not null && (r.GetResult(Sam.Model) is not null || r.GetResult(Sam.Encoder) is not null))
                r.AddError("--fastsam: give either --fastsam or --model/--encoder/--decoder, not both");
        });
        return command;
    }

    public SegmenterArgs Read(ParseResult p) =>
        new(Sam.Read(p), p.GetValue(FastSam), p.GetValue(ClipText), p.GetValue(ClipImage), p.GetValue(ClipVocab));
}

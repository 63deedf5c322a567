using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Segmentation.Clip;
using SegPlugins.Core.Segmentation.FastSam;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// Model choice for commands that accept FastSAM as well as SAM: <c>--fastsam FILE.onnx</c> or a FastSAM
/// manifest id in <c>--model</c> selects FastSAM; CLIP files for text prompts come from <c>--clip-text</c>,
/// <c>--clip-image</c>, <c>--clip-vocab</c> or the model cache.
/// </summary>
public sealed record SegmenterArgs(ModelArgs Sam, string? FastSamPath, string? ClipText, string? ClipImage, string? ClipVocab)
{
    /// <summary>True when the chosen model is FastSAM.</summary>
    public bool IsFastSam => FastSamPath is not null
        || (Sam.ModelId is { } id && ModelManifest.Embedded.Get(id).Family == ModelFamily.FastSam);

    public string DisplayName => FastSamPath is not null ? Path.GetFileName(FastSamPath) : Sam.DisplayName;

    public async Task<FastSamSession> OpenFastSamAsync(TextWriter stderr, CancellationToken ct)
    {
        var engine = Sam.Options(stderr);
        return FastSamPath is not null
            ? FastSamSession.Open(FastSamPath, engine)
            : await FastSamSession.OpenAsync(Sam.ModelId!, engine, null, ct);
    }

    public Task<ClipModel> OpenClipAsync(TextWriter stderr, CancellationToken ct)
    {
        if (ClipText is null && ClipImage is null && !ModelStore.CreateDefault().IsPresent(ClipModel.TowersModelId))
            throw new SegArgumentException("--text", $"text prompts need CLIP text and image encoders: pass --clip-text T.onnx and --clip-image I.onnx, or place them in the model cache as {ClipModel.TowersModelId} (see 'segplug models')");
        return ClipModel.OpenAsync(ClipText, ClipImage, ClipVocab, Sam.Options(stderr), new ConsoleProgress(stderr), ct);
    }
}

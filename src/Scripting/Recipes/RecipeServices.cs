using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Scripting.Recipes;

/// <summary>Image reading and PNG encoding, provided by Core; a seam so host tests can inject failures.</summary>
internal interface IImageCodec
{
    /// <summary>Reads an image; <paramref name="limits"/> are checked from the header before decoding.</summary>
    BgraImage Load(string path, ImageLoadOptions limits);

    void WritePng(BgraImage image, Stream destination);

    void WritePng(Mask mask, Stream destination);

    void WritePng(SoftMask mask, Stream destination);
}

/// <summary>The shared segmentation engine of a run: one model, any number of per-image views.</summary>
internal interface IRecipeSegmenter : IDisposable
{
    /// <summary>A session for one image sharing the engine (its ONNX sessions and embedding cache).</summary>
    ISegmentationSession ForImage(BgraImage image, CancellationToken cancellationToken);

    /// <summary>The salient-object mask of an image (the engine's subject model, opened on first use).</summary>
    Mask SubjectSaliency(BgraImage image, CancellationToken cancellationToken);

    /// <summary>The salient-object map of an image, 0..1 at its size (what a first click is read with; the subject model, opened on first use).</summary>
    LogitMap SaliencyMap(BgraImage image, CancellationToken cancellationToken);

    /// <summary>
    /// The salient-object map a box alone is refined with (<see cref="Core.Refinement.ColorRefiner.BoxSaliency"/>: the
    /// subject model's map of the box's crop), or null when <paramref name="prompts"/> are not a box it applies to.
    /// </summary>
    LogitMap? BoxSaliency(BgraImage image, PromptSet prompts, Core.Refinement.ColorRefineOptions? options, CancellationToken cancellationToken);

    /// <summary>
    /// The matte of a selection made from <paramref name="box"/> alone, as <c>segplug select --box --matte</c> makes it
    /// (<see cref="Core.Refinement.Matting.SelectionMatting.FromBox"/>): the selection limited to the box's salient
    /// object, whose map also guards the trimap's colour rule.
    /// </summary>
    Core.Refinement.Matting.Matte MatteFromBox(BgraImage image, LogitMap modelLogits, Mask selection, Core.Geometry.BoxXyxy box,
        Core.Refinement.Matting.SelectionTrimapOptions? trimap, Core.Refinement.Matting.MatteOptions? options, CancellationToken cancellationToken);
}

/// <summary>
/// Opens the segmentation engine the first time any recipe item asks for it, and only then: recipes that never
/// segment never load a model. Opening uses the run's token, not an item's, so one cancelled item cannot poison it.
/// </summary>
internal sealed class SharedSegmenter : IDisposable
{
    private readonly Func<CancellationToken, Task<IRecipeSegmenter>> _open;
    private readonly CancellationToken _runToken;
    private readonly object _gate = new();
    private Task<IRecipeSegmenter>? _task;

    public SharedSegmenter(Func<CancellationToken, Task<IRecipeSegmenter>> open, CancellationToken runToken)
    {
        _open = open;
        _runToken = runToken;
    }

    public bool Opened => _task is not null;

    public IRecipeSegmenter Get(CancellationToken itemToken)
    {
        Task<IRecipeSegmenter> task;
        lock (_gate) task = _task ??= Task.Run(() => _open(_runToken), _runToken);
        return task.WaitAsync(itemToken).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        Task<IRecipeSegmenter>? t;
        lock (_gate) t = _task;
        if (t is { IsCompletedSuccessfully: true }) t.Result.Dispose();
    }
}

using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement;
using SegPlugins.Core.Refinement.Matting;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Recipes;

/// <summary>The real engine behind the host seams: Core's image I/O and SAM session.</summary>
internal static class CoreEngine
{
    public static IImageCodec Codec { get; } = new CoreCodec();

    public static Task<IRecipeSegmenter> OpenSegmenterAsync(ModelArgs model, TextWriter stderr, CancellationToken ct) =>
        Task.FromResult<IRecipeSegmenter>(new SamSegmenter(model, stderr, ct));

    /// <summary>
    /// Opens each model (and fetches it) once per run, on the run's token, the first time a recipe needs it: a recipe
    /// that only asks for saliency never loads SAM, and one that only segments never loads u2netp.
    /// </summary>
    private sealed class SamSegmenter(ModelArgs model, TextWriter stderr, CancellationToken runToken) : IRecipeSegmenter
    {
        private readonly object _gate = new();
        private Task<SamSession>? _sam;
        private Task<SubjectSelector>? _subject;

        public ISegmentationSession ForImage(BgraImage image, CancellationToken cancellationToken)
        {
            Task<SamSession> t;
            lock (_gate) t = _sam ??= model.OpenSamAsync(stderr, runToken);
            return t.WaitAsync(cancellationToken).GetAwaiter().GetResult().ForImage(image, cancellationToken);
        }

        public Mask SubjectSaliency(BgraImage image, CancellationToken cancellationToken) =>
            // Threshold 0.5 on the min-max normalised map: the engine's own saliency mode.
            Subject(cancellationToken).Saliency(image, cancellationToken).ToMask(0.5f);

        public LogitMap SaliencyMap(BgraImage image, CancellationToken cancellationToken) =>
            Subject(cancellationToken).Saliency(image, cancellationToken);

        public LogitMap? BoxSaliency(BgraImage image, PromptSet prompts, ColorRefineOptions? options, CancellationToken cancellationToken) =>
            // The subject model is opened only for a box it applies to.
            ColorRefiner.UsesBoxSaliency(prompts, options)
                ? ColorRefiner.BoxSaliency(Subject(cancellationToken), image, prompts, options, cancellationToken)
                : null;

        public Matte MatteFromBox(BgraImage image, LogitMap modelLogits, Mask selection, BoxXyxy box, SelectionTrimapOptions? trimap,
            MatteOptions? options, CancellationToken cancellationToken) =>
            SelectionMatting.FromBox(image, modelLogits, selection, box, Subject(cancellationToken), trimap, options, null, cancellationToken);

        private SubjectSelector Subject(CancellationToken cancellationToken)
        {
            Task<SubjectSelector> t;
            // The saliency model is opened (and fetched) once per run, on the run's token, the first time a recipe asks.
            lock (_gate) t = _subject ??= SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), runToken);
            return t.WaitAsync(cancellationToken).GetAwaiter().GetResult();
        }

        public void Dispose()
        {
            Task<SamSession>? sam;
            Task<SubjectSelector>? subject;
            lock (_gate) (sam, subject) = (_sam, _subject);
            DisposeWhenOpened(sam);
            DisposeWhenOpened(subject);
        }

        /// <summary>Disposes a model now, or as soon as a still-running open completes (nothing else will).</summary>
        private static void DisposeWhenOpened<T>(Task<T>? open) where T : IDisposable
        {
            if (open is null) return;
            if (open.IsCompleted)
            {
                if (open.IsCompletedSuccessfully) open.Result.Dispose();
                return;
            }
            open.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private sealed class CoreCodec : IImageCodec
    {
        public BgraImage Load(string path, ImageLoadOptions limits) => ImageIO.Load(path, limits);

        public void WritePng(BgraImage image, Stream destination) => ImageIO.EncodePng(image, destination);

        public void WritePng(Mask mask, Stream destination) => WriteGray(mask.Data, mask.Width, mask.Height, destination);

        public void WritePng(SoftMask mask, Stream destination) => WriteGray(mask.Data, mask.Width, mask.Height, destination);

        private static void WriteGray(byte[] pixels, int width, int height, Stream destination) =>
            ImageIO.EncodeGrayPng(pixels, width, height, destination);
    }
}

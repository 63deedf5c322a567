using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Core.Segmentation.Subject;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Recipes;

/// <summary>The real engine behind the host seams: Core's image I/O and SAM session.</summary>
internal static class CoreEngine
{
    public static IImageCodec Codec { get; } = new CoreCodec();

    public static async Task<IRecipeSegmenter> OpenSegmenterAsync(ModelArgs model, TextWriter stderr, CancellationToken ct) =>
        new SamSegmenter(await model.OpenSamAsync(stderr, ct).ConfigureAwait(false), model, stderr, ct);

    private sealed class SamSegmenter(SamSession session, ModelArgs model, TextWriter stderr, CancellationToken runToken) : IRecipeSegmenter
    {
        private readonly object _gate = new();
        private Task<SubjectSelector>? _subject;

        public ISegmentationSession ForImage(BgraImage image, CancellationToken cancellationToken) => session.ForImage(image, cancellationToken);

        public Mask SubjectSaliency(BgraImage image, CancellationToken cancellationToken)
        {
            Task<SubjectSelector> t;
            // The saliency model is opened (and fetched) once per run, on the run's token, the first time a recipe asks.
            lock (_gate) t = _subject ??= SubjectSelector.OpenAsync(model.Options(stderr), new ConsoleProgress(stderr), runToken);
            var selector = t.WaitAsync(cancellationToken).GetAwaiter().GetResult();
            // Threshold 0.5 on the min-max normalised map: the engine's own saliency mode.
            return selector.Saliency(image, cancellationToken).ToMask(0.5f);
        }

        public void Dispose()
        {
            session.Dispose();
            Task<SubjectSelector>? t;
            lock (_gate) t = _subject;
            if (t is { IsCompletedSuccessfully: true }) t.Result.Dispose();
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

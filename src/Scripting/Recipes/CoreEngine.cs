using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;

namespace SegPlugins.Scripting.Recipes;

/// <summary>The real engine behind the host seams: Core's image I/O and SAM session.</summary>
internal static class CoreEngine
{
    public static IImageCodec Codec { get; } = new CoreCodec();

    public static Task<IRecipeSegmenter> OpenSegmenterAsync(string modelId, CancellationToken ct) =>
        throw new SegException($"model {modelId}: the segmentation engine is not part of this build yet");

    private sealed class CoreCodec : IImageCodec
    {
        public BgraImage Load(string path) => throw new SegInputException(path, "image reading is not part of this build yet");
        public void WritePng(BgraImage image, Stream destination) => throw new SegException("PNG writing is not part of this build yet");
        public void WritePng(Mask mask, Stream destination) => throw new SegException("PNG writing is not part of this build yet");
    }
}

using SegPlugins.Core;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.IO;
using SegPlugins.Core.Masks.IO;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Evaluation;

/// <summary>
/// Keeps salient-object maps on disk beside the embedding cache (<c>saliency-MODEL-HASH.npy</c>, keyed by the
/// image's content hash), so that screening a strategy costs decoder time only. A damaged file is recomputed.
/// </summary>
public static class SaliencyFileCache
{
    /// <summary>Wraps <paramref name="compute"/> with a file cache in <paramref name="directory"/> for the model <paramref name="modelId"/>.</summary>
    public static Func<BgraImage, CancellationToken, LogitMap> Wrap(Func<BgraImage, CancellationToken, LogitMap> compute, string directory, string modelId)
    {
        ArgumentNullException.ThrowIfNull(compute);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        return (image, ct) =>
        {
            var path = Path.Combine(directory, $"saliency-{modelId}-{SamImageEmbedding.HashImage(image):x32}.npy");
            if (File.Exists(path))
            {
                try
                {
                    var stored = NpyFile.Load(path);
                    if (stored.Width == image.Width && stored.Height == image.Height) return stored;
                }
                catch (Exception e) when (e is IOException or SegException) { }
            }
            var map = compute(image, ct);
            NpyFile.Save(map, path);
            return map;
        };
    }
}

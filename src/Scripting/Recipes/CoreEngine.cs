using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;
using SegPlugins.Core.Segmentation.Sam;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Recipes;

/// <summary>The real engine behind the host seams: Core's image I/O and SAM session.</summary>
internal static class CoreEngine
{
    public static IImageCodec Codec { get; } = new CoreCodec();

    public static async Task<IRecipeSegmenter> OpenSegmenterAsync(ModelArgs model, TextWriter stderr, CancellationToken ct) =>
        new SamSegmenter(await model.OpenSamAsync(stderr, ct).ConfigureAwait(false));

    private sealed class SamSegmenter(SamSession session) : IRecipeSegmenter
    {
        public ISegmentationSession ForImage(BgraImage image, CancellationToken cancellationToken) => session.ForImage(image, cancellationToken);
        public void Dispose() => session.Dispose();
    }

    private sealed class CoreCodec : IImageCodec
    {
        public BgraImage Load(string path) => ImageIO.Load(path);

        public void WritePng(BgraImage image, Stream destination) => ImageIO.EncodePng(image, destination);

        public void WritePng(Mask mask, Stream destination) => WriteGray(mask.Data, mask.Width, mask.Height, destination);

        public void WritePng(SoftMask mask, Stream destination) => WriteGray(mask.Data, mask.Width, mask.Height, destination);

        private static void WriteGray(byte[] pixels, int width, int height, Stream destination)
        {
            // The engine encodes greyscale PNGs to a path only; encode into a private temp folder and copy the bytes
            // into the staged output stream, so failures still go through the host's cleanup.
            string dir = Path.Combine(Path.GetTempPath(), "segplug-mask-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string file = Path.Combine(dir, "mask.png");
                ImageIO.SaveGrayPng(pixels, width, height, file);
                using var src = File.OpenRead(file);
                src.CopyTo(destination);
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }
}

using System.IO.Hashing;
using System.Runtime.InteropServices;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>An image's SAM embedding ([256,64,64] floats) with the geometry it was computed for. Immutable.</summary>
public sealed class SamImageEmbedding
{
    internal SamImageEmbedding(string modelKey, UInt128 imageHash, SamTransform transform, float[] data)
    {
        if (data.Length != SamTensorNames.EmbeddingLength)
            throw new ArgumentException("embedding must have 256*64*64 values", nameof(data));
        ModelKey = modelKey;
        ImageHash = imageHash;
        Transform = transform;
        Data = data;
    }

    /// <summary>Identifies the encoder that produced it.</summary>
    public string ModelKey { get; }

    /// <summary>Hash of the image's size and pixels.</summary>
    public UInt128 ImageHash { get; }

    public SamTransform Transform { get; }
    internal float[] Data { get; }

    public long SizeInBytes => Data.Length * sizeof(float);

    /// <summary>A content hash of the image (its size and its B,G,R,A bytes, stride padding excluded).</summary>
    public static UInt128 HashImage(BgraImage image)
    {
        var hash = new XxHash128();
        Span<int> dims = [image.Width, image.Height];
        hash.Append(MemoryMarshal.AsBytes(dims));
        if (image.Stride == image.Width * BgraImage.BytesPerPixel)
            hash.Append(image.Pixels.AsSpan(0, image.Stride * image.Height));
        else
            for (int y = 0; y < image.Height; y++) hash.Append(image.Row(y));
        return hash.GetCurrentHashAsUInt128();
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SegPlugins.Core.IO;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// An embedding stored beside its image so that reopening the image costs no encoder run. The file records the
/// encoder and the image content it belongs to, and is ignored when either differs.
/// Layout: "SEGEMB01", model key (int32 length + UTF-8), image hash (16 bytes), source w,h and resized w,h
/// (4 x int32), then 256*64*64 float32, all little-endian.
/// </summary>
internal static class EmbeddingFile
{
    private static ReadOnlySpan<byte> Magic => "SEGEMB01"u8;

    /// <summary>The conventional sidecar path for an image: <c>photo.jpg</c> gets <c>photo.jpg.segemb</c>.</summary>
    public static string SidecarPath(string imagePath) => imagePath + ".segemb";

    /// <summary>
    /// The path of an embedding in a cache folder shared by many images and encoders: named by a digest of the
    /// encoder's key and the image's content hash (the file itself records both in full and is checked on load).
    /// </summary>
    public static string CachePath(string directory, string modelKey, UInt128 imageHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(modelKey);
        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(modelKey)), 0, 8).ToLowerInvariant();
        return Path.Combine(directory, $"{digest}-{imageHash:x32}.segemb");
    }

    public static void Save(SamImageEmbedding e, string path)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            var key = Encoding.UTF8.GetBytes(e.ModelKey);
            w.Write(key.Length);
            w.Write(key);
            Span<byte> h = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128LittleEndian(h, e.ImageHash);
            w.Write(h);
            w.Write(e.Transform.SourceWidth);
            w.Write(e.Transform.SourceHeight);
            w.Write(e.Transform.ResizedWidth);
            w.Write(e.Transform.ResizedHeight);
            w.Flush();
            s.Write(MemoryMarshal.AsBytes(e.Data.AsSpan()));
        });
    }

    /// <summary>Loads a sidecar if it exists and belongs to this encoder and image; otherwise null.</summary>
    public static SamImageEmbedding? TryLoad(string path, string modelKey, UInt128 imageHash)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var s = File.OpenRead(path);
            using var r = new BinaryReader(s);
            if (!r.ReadBytes(8).AsSpan().SequenceEqual(Magic)) return null;
            int keyLen = r.ReadInt32();
            if (keyLen < 0 || keyLen > 4096) return null;
            if (Encoding.UTF8.GetString(r.ReadBytes(keyLen)) != modelKey) return null;
            if (BinaryPrimitives.ReadUInt128LittleEndian(r.ReadBytes(16)) != imageHash) return null;
            var t = new SamTransform(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
            if (t != SamTransform.For(t.SourceWidth, t.SourceHeight)) return null;
            var data = new float[SamTensorNames.EmbeddingLength];
            var bytes = MemoryMarshal.AsBytes(data.AsSpan());
            if (s.Length - s.Position != bytes.Length) return null;
            s.ReadExactly(bytes);
            if (!BitConverter.IsLittleEndian) return null;
            return new SamImageEmbedding(modelKey, imageHash, t, data);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or UnauthorizedAccessException or ArgumentException or SegException)
        {
            return null; // a damaged sidecar only costs an encoder run
        }
    }
}

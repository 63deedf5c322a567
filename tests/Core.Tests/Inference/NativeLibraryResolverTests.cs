using SegPlugins.Core.Inference;
using SegPlugins.Core.Tests.Support;
using Xunit;

namespace SegPlugins.Core.Tests.Inference;

public class NativeLibraryResolverTests
{
    [Theory]
    [InlineData("onnxruntime", true)]
    [InlineData("onnxruntime.dll", true)]
    [InlineData("libonnxruntime.so", true)]
    [InlineData("libonnxruntime.dylib", true)]
    [InlineData("ONNXRUNTIME.DLL", true)]
    [InlineData("onnxruntime_providers_shared", false)]
    [InlineData("DirectML", false)]
    [InlineData("kernel32", false)]
    public void RecognisesOnnxRuntimeImportNames(string name, bool expected) =>
        Assert.Equal(expected, NativeLibraryResolver.IsOnnxRuntime(name));

    [Fact]
    public void CandidatesAreEachFolderThenItsRuntimeFolder()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var c = NativeLibraryResolver.CandidatePaths([a.Path, "", b.Path, a.Path], "onnxruntime.dll", "win-x64");
        Assert.Equal(
        [
            Path.Combine(a.Path, "onnxruntime.dll"),
            Path.Combine(a.Path, "runtimes", "win-x64", "native", "onnxruntime.dll"),
            Path.Combine(b.Path, "onnxruntime.dll"),
            Path.Combine(b.Path, "runtimes", "win-x64", "native", "onnxruntime.dll"),
        ], c);
    }

    [Fact]
    public void FailureListsEveryPathTriedWithWhatHappened()
    {
        using var plugin = new TempDir();
        var broken = plugin.File(NativeLibraryResolver.NativeFileName());
        File.WriteAllBytes(broken, [1, 2, 3, 4, 5, 6, 7, 8]);
        var candidates = NativeLibraryResolver.CandidatePaths([plugin.Path], NativeLibraryResolver.NativeFileName(), "linux-x64");
        var e = Assert.Throws<NativeLibraryLoadException>(() =>
            NativeLibraryResolver.Resolve("onnxruntime", candidates, NativeLibraryResolver.LoadFile));
        Assert.Equal(2, e.Tried.Count);
        Assert.Equal(broken, e.Tried[0].Path);
        Assert.StartsWith("found but failed to load", e.Tried[0].Outcome);
        Assert.Equal("not found", e.Tried[1].Outcome);
        foreach (var c in candidates) Assert.Contains(c, e.Message);
        Assert.IsAssignableFrom<SegException>(e);
    }

    [Fact]
    public void LoadsTheRealLibraryFromTheRuntimesFolderOfTheOutput()
    {
        // The test output carries ONNX Runtime under runtimes/<rid>/native, as a plugin folder built without a RID does.
        var candidates = NativeLibraryResolver.CandidatePaths([Path.Combine(AppContext.BaseDirectory, "no-such-folder"), AppContext.BaseDirectory],
            NativeLibraryResolver.NativeFileName(), NativeLibraryResolver.PortableRid());
        var tried = new List<string>();
        var handle = NativeLibraryResolver.Resolve("onnxruntime", candidates, p => { tried.Add(p); return NativeLibraryResolver.LoadFile(p); });
        Assert.NotEqual(IntPtr.Zero, handle);
        Assert.Single(tried);
        Assert.EndsWith(Path.Combine("native", NativeLibraryResolver.NativeFileName()), tried[0]);
    }

    [Fact]
    public void NoFoldersIsStillAClearError()
    {
        var e = Assert.Throws<NativeLibraryLoadException>(() => NativeLibraryResolver.Resolve("onnxruntime", [], NativeLibraryResolver.LoadFile));
        Assert.Contains("no folders to search", e.Message);
    }
}

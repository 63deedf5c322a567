using System.Reflection;
using System.Runtime.InteropServices;

namespace SegPlugins.Core.Inference;

/// <summary>ONNX Runtime's native library could not be loaded from any place searched.</summary>
public sealed class NativeLibraryLoadException : SegException
{
    public NativeLibraryLoadException(string library, IReadOnlyList<(string Path, string Outcome)> tried)
        : base(Format(library, tried)) => Tried = tried;

    /// <summary>Every path tried, in order, with what happened there.</summary>
    public IReadOnlyList<(string Path, string Outcome)> Tried { get; }

    private static string Format(string library, IReadOnlyList<(string Path, string Outcome)> tried)
    {
        var lines = new List<string> { $"native library {library} could not be loaded; tried:" };
        foreach (var (path, outcome) in tried) lines.Add($"  {path}: {outcome}");
        lines.Add("Reinstall the plugin folder so that the native library sits next to the plugin.");
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// Finds ONNX Runtime's native library next to a plugin. Hosts such as Paint.NET load plugins from their own
/// folder, where the default probing (the host's application folder) does not look, so the managed ONNX Runtime
/// assembly gets an explicit resolver that searches the given folders (and their runtimes/RID/native
/// sub-folders, where builds without a runtime identifier put native files) and reports every path it tried.
/// </summary>
public static class NativeLibraryResolver
{
    private static readonly object InstallLock = new();
    private static readonly HashSet<Assembly> Installed = new();

    /// <summary>The import name ONNX Runtime's managed assembly uses.</summary>
    public const string OnnxRuntime = "onnxruntime";

    /// <summary>Loaded before ONNX Runtime on Windows when it sits in the same folder, so the DirectML provider finds it.</summary>
    public const string DirectMLFile = "DirectML.dll";

    /// <summary>Whether a DllImport name means ONNX Runtime's native library (with or without lib prefix and extension).</summary>
    public static bool IsOnnxRuntime(string importName)
    {
        var n = Path.GetFileName(importName);
        if (n.StartsWith("lib", StringComparison.OrdinalIgnoreCase)) n = n[3..];
        foreach (var ext in (ReadOnlySpan<string>)[".dll", ".so", ".dylib"])
            if (n.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) { n = n[..^ext.Length]; break; }
        return n.Equals(OnnxRuntime, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The native file name of ONNX Runtime on the current OS.</summary>
    public static string NativeFileName() =>
        OperatingSystem.IsWindows() ? "onnxruntime.dll" : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib" : "libonnxruntime.so";

    /// <summary>Paths tried, in order: each folder itself, then its runtimes/<paramref name="rid"/>/native.</summary>
    public static IReadOnlyList<string> CandidatePaths(IEnumerable<string> directories, string fileName, string rid)
    {
        var list = new List<string>();
        foreach (var d in directories)
        {
            if (string.IsNullOrWhiteSpace(d)) continue;
            var full = Path.GetFullPath(d);
            Add(list, Path.Combine(full, fileName));
            Add(list, Path.Combine(full, "runtimes", rid, "native", fileName));
        }
        return list;

        static void Add(List<string> l, string p) { if (!l.Contains(p, StringComparer.Ordinal)) l.Add(p); }
    }

    /// <summary>
    /// Loads the first candidate that exists and loads. <paramref name="tryLoad"/> returns the handle, or
    /// <see cref="IntPtr.Zero"/> with a reason. Throws <see cref="NativeLibraryLoadException"/> listing every path.
    /// </summary>
    public static IntPtr Resolve(string library, IReadOnlyList<string> candidates, Func<string, (IntPtr Handle, string? Error)> tryLoad)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(tryLoad);
        var tried = new List<(string, string)>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path)) { tried.Add((path, "not found")); continue; }
            var (handle, error) = tryLoad(path);
            if (handle != IntPtr.Zero) return handle;
            tried.Add((path, "found but failed to load: " + (error ?? "unknown error")));
        }
        if (tried.Count == 0) tried.Add(("(no folders to search)", "nothing tried"));
        throw new NativeLibraryLoadException(library, tried);
    }

    /// <summary>Loads a native file by full path with the OS loader; on Windows, DirectML.dll beside it first.</summary>
    public static (IntPtr Handle, string? Error) LoadFile(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                var dml = Path.Combine(Path.GetDirectoryName(path) ?? ".", DirectMLFile);
                if (File.Exists(dml)) NativeLibrary.TryLoad(dml, out _);
            }
            return (NativeLibrary.Load(path), null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (IntPtr.Zero, OnnxModelLoader.FirstLine(e.Message));
        }
    }

    /// <summary>
    /// Routes <paramref name="onnxAssembly"/>'s imports of ONNX Runtime to the first loadable file in
    /// <paramref name="directories"/>. Other imports keep the default probing. Returns false when a resolver was
    /// already installed for that assembly (the runtime allows only one).
    /// </summary>
    public static bool Install(Assembly onnxAssembly, IReadOnlyList<string> directories)
    {
        ArgumentNullException.ThrowIfNull(onnxAssembly);
        var candidates = CandidatePaths(directories, NativeFileName(), RuntimeInformation.RuntimeIdentifier);
        var fallback = CandidatePaths(directories, NativeFileName(), PortableRid());
        var all = candidates.Concat(fallback).Distinct(StringComparer.Ordinal).ToList();
        lock (InstallLock)
        {
            if (!Installed.Add(onnxAssembly)) return false;
            try
            {
                NativeLibrary.SetDllImportResolver(onnxAssembly, (name, _, _) =>
                    IsOnnxRuntime(name) ? Resolve(name, all, LoadFile) : IntPtr.Zero);
            }
            catch (InvalidOperationException)
            {
                return false;
            }
            return true;
        }
    }

    /// <summary>Installs the resolver on the ONNX Runtime assembly this library is built against.</summary>
    public static bool InstallForOnnxRuntime(params string[] directories) =>
        Install(typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly, directories);

    /// <summary>The portable runtime identifier (win-x64, linux-x64, osx-arm64...) NuGet packages use for native folders.</summary>
    public static string PortableRid()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.Arm => "arm",
            var a => a.ToString().ToLowerInvariant(),
        };
        return os + "-" + arch;
    }
}

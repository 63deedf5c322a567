using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// A recipe file and every file it pulls in with <c>#load</c> (relative paths resolve against the directory of the
/// file that holds the directive), parsed once. The cache key and the compiler both work from this one snapshot, so
/// a file edited between hashing and compiling cannot slip into a cached assembly under the old key.
/// </summary>
internal sealed class RecipeSource
{
    /// <summary>Recipes are small; this only stops an accidental multi-megabyte file from being parsed.</summary>
    internal const long MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Bounds <c>#load</c> chains so a pathological include graph fails with a message, not a hang.</summary>
    internal const int MaxFiles = 256;

    internal static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.Latest, DocumentationMode.None, SourceCodeKind.Script);

    private RecipeSource(string mainPath, IReadOnlyList<SourceFile> files, IReadOnlyList<RecipeDiagnostic> directiveErrors)
    {
        MainPath = mainPath;
        Files = files;
        DirectiveErrors = directiveErrors;
    }

    public string MainPath { get; }

    /// <summary>The recipe first, then <c>#load</c>-ed files in discovery order.</summary>
    public IReadOnlyList<SourceFile> Files { get; }

    /// <summary>Refused directives (<c>#r</c>) and missing <c>#load</c> targets.</summary>
    public IReadOnlyList<RecipeDiagnostic> DirectiveErrors { get; }

    public SyntaxTree MainTree => Files[0].Tree;

    /// <summary>Newest write time of the recipe and its <c>#load</c>-ed files (for the re-run skip rule).</summary>
    public DateTime LastWriteUtc { get; private init; }

    internal sealed record SourceFile(string Path, SourceText Text, SyntaxTree Tree);

    /// <summary>Reads and parses <paramref name="recipePath"/> and its <c>#load</c> closure.</summary>
    /// <exception cref="Core.SegInputException">The recipe file is missing, unreadable or too large.</exception>
    public static RecipeSource Load(string recipePath)
    {
        string main = Path.GetFullPath(recipePath);
        if (!File.Exists(main))
            throw new Core.SegInputException(recipePath, "recipe file not found");

        var files = new List<SourceFile>();
        var errors = new List<RecipeDiagnostic>();
        var seen = new HashSet<string>(PathComparer);
        var queue = new Queue<string>();
        queue.Enqueue(main);
        seen.Add(main);
        DateTime newest = DateTime.MinValue;
        while (queue.Count > 0)
        {
            string path = queue.Dequeue();
            var text = ReadText(path);
            var info = new FileInfo(path);
            if (info.LastWriteTimeUtc > newest) newest = info.LastWriteTimeUtc;
            var tree = CSharpSyntaxTree.ParseText(text, ParseOptions, path);
            files.Add(new SourceFile(path, text, tree));
            var root = tree.GetCompilationUnitRoot();

            foreach (var r in root.GetReferenceDirectives())
            {
                string target = r.File.ValueText;
                string msg = target.StartsWith("nuget:", StringComparison.OrdinalIgnoreCase)
                    ? $"#r \"{target}\" is not supported: recipes cannot download or reference NuGet packages. Recipes see the SegPlugins engine, the recipe globals and the .NET base library; put shared code in a .csx file and #load it"
                    : $"#r \"{target}\" is not supported: recipes cannot load assemblies, because a loaded assembly would bypass the recipe checks (--restricted) and the compiled-recipe cache key. Put shared code in a .csx file and #load it";
                errors.Add(RecipeDiagnostic.At("SEG1001", r.GetLocation(), path, msg));
            }

            foreach (var l in root.GetLoadDirectives())
            {
                string target = l.File.ValueText;
                string? resolved = ResolveLoad(target, path);
                if (resolved is null || !File.Exists(resolved))
                {
                    errors.Add(RecipeDiagnostic.At("SEG1002", l.GetLocation(), path,
                        $"#load \"{target}\": file not found (looked for {resolved ?? target}, relative to {Path.GetDirectoryName(path)})"));
                    continue;
                }
                if (seen.Add(resolved))
                {
                    if (seen.Count > MaxFiles)
                        throw new Core.SegInputException(main, $"#load pulls in more than {MaxFiles} files");
                    queue.Enqueue(resolved);
                }
            }
        }
        return new RecipeSource(main, files, errors) { LastWriteUtc = newest };
    }

    internal static string? ResolveLoad(string target, string? baseFile)
    {
        if (string.IsNullOrWhiteSpace(target)) return null;
        try
        {
            if (Path.IsPathRooted(target)) return Path.GetFullPath(target);
            string dir = baseFile is null ? Environment.CurrentDirectory : Path.GetDirectoryName(baseFile)!;
            return Path.GetFullPath(Path.Combine(dir, target));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
    }

    private static SourceText ReadText(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (fs.Length > MaxFileBytes)
                throw new Core.SegInputException(path, $"recipe file is {fs.Length} bytes; the limit is {MaxFileBytes}");
            return SourceText.From(fs, Encoding.UTF8, SourceHashAlgorithm.Sha256, throwIfBinaryDetected: true);
        }
        catch (InvalidDataException)
        {
            throw new Core.SegInputException(path, "recipe file looks binary, expected C# script text");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Core.SegInputException(path, $"cannot read recipe file: {e.Message}", e);
        }
    }

    /// <summary>
    /// SHA-256 over everything that decides the emitted assembly: each file's path relative to the recipe and its
    /// text, the engine and host builds (their module version ids change with every rebuild), the runtime, and
    /// whether the restricted check ran.
    /// </summary>
    public string ComputeKey(bool restricted)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s)
        {
            h.AppendData(Encoding.UTF8.GetBytes(s));
            h.AppendData([0]);
        }
        Add("segplug-recipe-v1");
        Add(typeof(Core.Imaging.BgraImage).Assembly.ManifestModule.ModuleVersionId.ToString());
        Add(typeof(RecipeGlobals).Assembly.ManifestModule.ModuleVersionId.ToString());
        Add(typeof(CSharpCompilation).Assembly.ManifestModule.ModuleVersionId.ToString());
        Add(Environment.Version.ToString());
        Add(System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
        Add(restricted ? "restricted" : "open");
        string baseDir = Path.GetDirectoryName(MainPath)!;
        foreach (var f in Files)
        {
            Add(Path.GetRelativePath(baseDir, f.Path).Replace('\\', '/'));
            Add(f.Text.ToString());
        }
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }

    internal static StringComparer PathComparer =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
}

using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;

namespace SegPlugins.Scripting.Recipes;

/// <summary>A compiled recipe: emitted assembly bytes (portable PDB embedded) and where its entry point is.</summary>
internal sealed record CompiledRecipe(string Key, byte[] Assembly, string EntryType, string EntryMethod, bool FromCache, TimeSpan CompileTime);

/// <summary>The outcome of <see cref="RecipeCompiler.Compile"/>: a recipe, or the diagnostics that stopped it.</summary>
internal sealed record CompileOutcome(CompiledRecipe? Recipe, IReadOnlyList<RecipeDiagnostic> Diagnostics)
{
    public bool Succeeded => Recipe is not null;
}

/// <summary>
/// Compiles a recipe to an in-memory script assembly once and caches the bytes on disk, keyed by
/// <see cref="RecipeSource.ComputeKey"/>. A cache hit does not touch the compiler (see <see cref="CompilerInvocations"/>).
/// </summary>
internal sealed class RecipeCompiler
{
    /// <summary>Namespaces every recipe sees without a <c>using</c>.</summary>
    internal static readonly ImmutableArray<string> Imports =
    [
        "System",
        "System.Collections.Generic",
        "System.Linq",
        "System.Text",
        "System.Text.Json",
        "System.Threading",
        "System.Threading.Tasks",
        "SegPlugins.Core",
        "SegPlugins.Core.Geometry",
        "SegPlugins.Core.Imaging",
        "SegPlugins.Core.Masks",
        "SegPlugins.Core.Segmentation",
        "SegPlugins.Core.Refinement",
    ];

    private static readonly string[] OptionalImports =
    [
        "SegPlugins.Core.Compositing",
        "SegPlugins.Core.Masks.IO",
        "SegPlugins.Core.Inference",
        "SegPlugins.Core.Segmentation.Sam",
    ];

    private static int s_compilerInvocations;

    /// <summary>How many times any instance has created a compilation in this process (tests prove cache hits with it).</summary>
    public static int CompilerInvocations => Volatile.Read(ref s_compilerInvocations);

    /// <summary>Raised with the recipe's full path each time the compiler is invoked (not on cache hits).</summary>
    public static event Action<string>? CompilerInvoked;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(BuildReferences);
    private static readonly Lazy<ImmutableArray<string>> s_imports = new(BuildImports);

    private readonly RecipeCache _cache;

    public RecipeCompiler(RecipeCache cache) => _cache = cache;

    public CompileOutcome Compile(RecipeSource source, bool restricted, CancellationToken ct = default)
    {
        if (source.DirectiveErrors.Count > 0) return new CompileOutcome(null, source.DirectiveErrors);

        string key = source.ComputeKey(restricted);
        if (_cache.TryGet(key) is { } cached) return new CompileOutcome(cached, []);

        var sw = Stopwatch.StartNew();
        Interlocked.Increment(ref s_compilerInvocations);
        CompilerInvoked?.Invoke(source.MainPath);

        // Pass 1: the recipe as written, for diagnostics and the restricted check (positions match the user's files).
        var original = CreateCompilation(source, source.MainTree, key, instrumented: false);
        var diagnostics = original.GetDiagnostics(ct)
            .Where(d => d.Severity == DiagnosticSeverity.Error || (d.Severity == DiagnosticSeverity.Warning && d.WarningLevel <= 1))
            .Select(d => RecipeDiagnostic.FromRoslyn(d, source.MainPath))
            .OrderBy(d => d.Severity == RecipeDiagnosticSeverity.Error ? 0 : 1)
            .ToList();
        if (restricted)
        {
            // Also over code with errors: a forbidden use is worth reporting even next to a typo.
            var forbidden = RestrictedChecker.Check(original, source.MainPath);
            if (forbidden.Count > 0)
                return new CompileOutcome(null, [.. diagnostics.Where(d => d.Severity == RecipeDiagnosticSeverity.Error), .. forbidden]);
        }
        if (diagnostics.Any(d => d.Severity == RecipeDiagnosticSeverity.Error))
            return new CompileOutcome(null, diagnostics);

        // Pass 2: the instrumented recipe, emitted.
        var instrumentedMain = CheckpointRewriter.Instrument(source.MainTree);
        var compilation = CreateCompilation(source, instrumentedMain, key, instrumented: true);
        using var pe = new MemoryStream();
        EmitResult result;
        try
        {
            result = compilation.Emit(pe, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.Embedded), cancellationToken: ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The compiler has crashed on rare valid scripts (a declaration under a label at top level); report it as
            // a recipe error rather than taking the whole run down.
            return new CompileOutcome(null, [new RecipeDiagnostic("SEG1900", RecipeDiagnosticSeverity.Error, source.MainPath, 1, 1,
                $"the C# compiler failed on this recipe ({e.GetType().Name}: {e.Message}); rewriting the construct it stopped at usually helps")]);
        }
        if (!result.Success)
        {
            // Only a host bug gets here: pass 1 compiled, so the instrumentation broke something. Say so.
            var errs = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)
                .Select(d => RecipeDiagnostic.FromRoslyn(d, source.MainPath) with { Message = "after cancellation instrumentation: " + d.GetMessage() })
                .ToList();
            return new CompileOutcome(null, errs);
        }
        var entry = compilation.GetEntryPoint(ct) ?? throw new InvalidOperationException("script compilation has no entry point");
        var recipe = new CompiledRecipe(
            key,
            pe.ToArray(),
            entry.ContainingType.MetadataName is var n && entry.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns + "." + n : entry.ContainingType.MetadataName,
            entry.MetadataName,
            FromCache: false,
            sw.Elapsed);
        _cache.Put(recipe);
        return new CompileOutcome(recipe, diagnostics);
    }

    private static CSharpCompilation CreateCompilation(RecipeSource source, SyntaxTree main, string key, bool instrumented)
    {
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            scriptClassName: "Recipe",
            usings: s_imports.Value,
            optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true, // unsafe is refused by --restricted with a better message than CS0227
            sourceReferenceResolver: new LoadedFilesResolver(source, instrumented),
            metadataReferenceResolver: null,
            nullableContextOptions: NullableContextOptions.Disable,
            deterministic: true,
            concurrentBuild: false); // the CPU is shared with the images being processed
        return CSharpCompilation.CreateScriptCompilation(
            "segplug-recipe-" + key[..16], // deterministic: same recipe, same bytes
            main,
            s_references.Value,
            options,
            previousScriptCompilation: null,
            returnType: typeof(object),
            globalsType: typeof(RecipeGlobals));
    }

    /// <summary>The .NET base library plus the engine and the recipe globals; nothing else.</summary>
    private static ImmutableArray<MetadataReference> BuildReferences()
    {
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var refs = new List<MetadataReference>();
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        foreach (var path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!string.Equals(Path.GetDirectoryName(path), runtimeDir, StringComparison.OrdinalIgnoreCase)) continue;
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "mscorlib" or "netstandard" or "Microsoft.CSharp" or "Microsoft.Win32.Primitives")
                refs.Add(MetadataReference.CreateFromFile(path));
        }
        refs.Add(MetadataReference.CreateFromFile(typeof(Core.Imaging.BgraImage).Assembly.Location));
        refs.Add(MetadataReference.CreateFromFile(typeof(RecipeGlobals).Assembly.Location));
        return [.. refs];
    }

    private static ImmutableArray<string> BuildImports()
    {
        var core = typeof(Core.Imaging.BgraImage).Assembly;
        var present = core.GetExportedTypes().Select(t => t.Namespace).ToHashSet();
        return [.. Imports, .. OptionalImports.Where(present.Contains)];
    }

    /// <summary>
    /// Resolves <c>#load</c> against the snapshot in <see cref="RecipeSource"/> (never the disk again), handing the
    /// compiler either the original or the checkpoint-instrumented text.
    /// </summary>
    private sealed class LoadedFilesResolver : SourceReferenceResolver
    {
        private readonly RecipeSource _source;
        private readonly bool _instrumented;
        private readonly Dictionary<string, RecipeSource.SourceFile> _files;

        public LoadedFilesResolver(RecipeSource source, bool instrumented)
        {
            _source = source;
            _instrumented = instrumented;
            _files = source.Files.ToDictionary(f => f.Path, RecipeSource.PathComparer);
        }

        public override string? NormalizePath(string path, string? baseFilePath) => RecipeSource.ResolveLoad(path, baseFilePath);

        public override string? ResolveReference(string path, string? baseFilePath)
        {
            string? full = RecipeSource.ResolveLoad(path, baseFilePath ?? _source.MainPath);
            return full is not null && _files.ContainsKey(full) ? full : null;
        }

        public override Stream OpenRead(string resolvedPath) =>
            new MemoryStream(System.Text.Encoding.UTF8.GetBytes(ReadText(resolvedPath).ToString()));

        public override SourceText ReadText(string resolvedPath)
        {
            var f = _files[resolvedPath];
            return _instrumented ? SourceText.From(CheckpointRewriter.Instrument(f.Text.ToString(), f.Path), System.Text.Encoding.UTF8) : f.Text;
        }

        public override bool Equals(object? other) =>
            other is LoadedFilesResolver r && ReferenceEquals(r._source, _source) && r._instrumented == _instrumented;

        public override int GetHashCode() => HashCode.Combine(_source, _instrumented);
    }
}

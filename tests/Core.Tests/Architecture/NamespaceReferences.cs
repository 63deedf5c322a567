using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SegPlugins.Core.Tests.Architecture;

/// <summary>One place where code in <see cref="From"/> names a symbol that lives in <see cref="To"/>.</summary>
public sealed record NamespaceReference(string From, string To, string File, int Line, string Symbol)
{
    public override string ToString() => $"{From} -> {To}: {Symbol} at {System.IO.Path.GetFileName(File)}:{Line}";
}

/// <summary>
/// Every reference from one namespace of a code base to another, found by binding each name in the sources with
/// Roslyn's semantic model: a using directive, a type, a member, an extension method and a fully qualified name
/// written in one line all count, because each binds to a symbol whose namespace is known.
/// </summary>
public static class NamespaceReferences
{
    /// <summary>What the SDK's ImplicitUsings adds to every file of a library (Directory.Build.props turns it on).</summary>
    private const string ImplicitUsings =
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;";

    /// <summary>Compiles <paramref name="sources"/> (path, text) and lists the references between namespaces that
    /// start with <paramref name="rootNamespace"/>. Doc-comment crefs count too (they name the type as well).</summary>
    public static IReadOnlyList<NamespaceReference> Collect(
        IEnumerable<(string Path, string Text)> sources, IEnumerable<MetadataReference> references, string rootNamespace)
        => Collect(sources, references, rootNamespace, out _);

    /// <inheritdoc cref="Collect(IEnumerable{ValueTuple{string, string}}, IEnumerable{MetadataReference}, string)"/>
    /// <param name="errors">The compiler's errors: a name that does not bind is a reference the walk cannot see.</param>
    public static IReadOnlyList<NamespaceReference> Collect(
        IEnumerable<(string Path, string Text)> sources, IEnumerable<MetadataReference> references, string rootNamespace,
        out IReadOnlyList<string> errors)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.Parse);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path)).ToList();
        var implicitUsings = CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "ImplicitUsings.g.cs");
        var compilation = CSharpCompilation.Create("ArchitectureWalk", [.. trees, implicitUsings], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true,
                nullableContextOptions: NullableContextOptions.Enable));

        errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        var found = new List<NamespaceReference>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var root = tree.GetCompilationUnitRoot();
            var fileNamespace = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
            foreach (var node in root.DescendantNodes(descendIntoTrivia: true))
            {
                if (node is not (IdentifierNameSyntax or GenericNameSyntax)) continue;
                if (node.Ancestors().Any(a => a is BaseNamespaceDeclarationSyntax ns && ns.Name.Span.Contains(node.Span))) continue;
                var symbol = Resolve(model, node);
                if (symbol is null) continue;
                // A namespace counts only as the whole name of a using directive; inside a qualified name it is a
                // step on the way to the type or member at its right end, which carries the reference.
                if (symbol is INamespaceSymbol && !IsUsingTarget(node)) continue;
                var to = HomeNamespace(symbol);
                if (to is null || !InRoot(to, rootNamespace)) continue;
                var from = node.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString() ?? fileNamespace;
                if (from is null || from == to) continue;
                var line = node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                found.Add(new NamespaceReference(from, to, tree.FilePath, line, symbol.ToDisplayString()));
            }
        }
        return found;
    }

    /// <summary>The C# files under <paramref name="folder"/>, build output left out.</summary>
    public static IEnumerable<(string Path, string Text)> SourcesUnder(string folder)
    {
        var sep = System.IO.Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{sep}obj{sep}") && !p.Contains($"{sep}bin{sep}"))
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => (p, File.ReadAllText(p)));
    }

    /// <summary>The framework and package assemblies this process runs with, except the project's own.</summary>
    public static IReadOnlyList<MetadataReference> RuntimeReferences() => s_runtime.Value;

    private static readonly Lazy<IReadOnlyList<MetadataReference>> s_runtime = new(LoadRuntimeReferences);

    private static IReadOnlyList<MetadataReference> LoadRuntimeReferences()
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => !System.IO.Path.GetFileName(p).StartsWith("SegPlugins.", StringComparison.Ordinal))
            .GroupBy(System.IO.Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First());
        var refs = new List<MetadataReference>();
        foreach (var p in paths)
        {
            try { refs.Add(MetadataReference.CreateFromFile(p)); }
            catch (BadImageFormatException) { } // a native library beside the managed ones
        }
        return refs;
    }

    private static bool IsUsingTarget(SyntaxNode node)
    {
        var top = node;
        while (top.Parent is QualifiedNameSyntax q && q.Right == top) top = q;
        return top.Parent is UsingDirectiveSyntax;
    }

    private static ISymbol? Resolve(SemanticModel model, SyntaxNode node)
    {
        var info = model.GetSymbolInfo(node);
        var symbol = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
        if (symbol is IAliasSymbol alias) symbol = alias.Target;
        if (symbol is IMethodSymbol { ReducedFrom: { } extension }) symbol = extension; // x.Grow() is MaskExtensions.Grow(x)
        return symbol;
    }

    private static string? HomeNamespace(ISymbol symbol)
    {
        switch (symbol)
        {
            case INamespaceSymbol ns:
                return ns.IsGlobalNamespace ? null : ns.ToDisplayString();
            case ILocalSymbol or IParameterSymbol or IRangeVariableSymbol or ILabelSymbol or ITypeParameterSymbol or IDiscardSymbol:
                return null;
        }
        var type = symbol as INamedTypeSymbol ?? symbol.ContainingType;
        if (type is null) return null;
        while (type.ContainingType is not null) type = type.ContainingType;
        var ns2 = type.ContainingNamespace;
        return ns2 is null || ns2.IsGlobalNamespace ? null : ns2.ToDisplayString();
    }

    private static bool InRoot(string ns, string root) =>
        ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);
}

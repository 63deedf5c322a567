using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// The --restricted check: resolves every name, member access, creation and call in the recipe (and its
/// <c>#load</c>-ed files) against the semantic model and accepts only the documented recipe surface: the recipe's
/// own declarations, the globals class and the types it hands out, Core's pure types and operations, and a short
/// list of base-library namespaces (<see cref="AllowedNamespaces"/>). Inside those, the routes to files, processes and
/// process-wide state are refused by name (<see cref="RefusedTypes"/>, <see cref="RefusedMembers"/>). Aliases,
/// <c>global::</c> names and <c>using static</c> all resolve to the same symbols, so they are checked the same way.
/// This guards against accidents; it is not a sandbox (see RECIPES.md).
/// </summary>
internal static class RestrictedChecker
{
    /// <summary>
    /// Namespaces a restricted recipe may use: "N" allows N alone, "N.*" N and everything below it. Core's model
    /// families, inference, effects and file plumbing are not here: they open files or models.
    /// </summary>
    internal static readonly string[] AllowedNamespaces =
    [
        "System",
        "System.Collections.*",
        "System.Linq",
        "System.Text",
        "System.Text.Json.*",
        "System.Text.RegularExpressions",
        "System.Globalization",
        "System.Numerics",
        "System.Buffers",
        "System.Threading",
        "System.Threading.Tasks",
        "System.Diagnostics.CodeAnalysis",
        "System.Runtime.CompilerServices", // what the compiler emits for await, interpolation, tuples and collections
        "SegPlugins.Core",
        "SegPlugins.Core.Geometry",
        "SegPlugins.Core.Imaging",
        "SegPlugins.Core.Masks",
        "SegPlugins.Core.Masks.IO",
        "SegPlugins.Core.Segmentation",
        "SegPlugins.Core.Refinement",
        "SegPlugins.Core.Editing",
        "SegPlugins.Core.Compositing",
    ];

    /// <summary>Types allowed outside <see cref="AllowedNamespaces"/>.</summary>
    private static readonly HashSet<string> AllowedTypes = new(StringComparer.Ordinal)
    {
        "System.Diagnostics.Stopwatch",
    };

    /// <summary>Types refused although their namespace is allowed.</summary>
    internal static readonly HashSet<string> RefusedTypes = new(StringComparer.Ordinal)
    {
        "System.AppDomain",
        "System.Activator",
        "System.Console",
        "System.Runtime.CompilerServices.Unsafe",
        "SegPlugins.Core.Imaging.ImageIO",
        "SegPlugins.Core.Masks.IO.MaskPng",
        "SegPlugins.Core.Masks.IO.NpyFile",
    };

    /// <summary>Members refused although their type is allowed.</summary>
    internal static readonly HashSet<string> RefusedMembers = new(StringComparer.Ordinal)
    {
        "System.Environment.Exit",
        "System.Environment.FailFast",
        "System.Environment.SetEnvironmentVariable",
        "System.Environment.CurrentDirectory",
        "System.Type.InvokeMember",
        "System.Type.GetTypeFromProgID",
        "System.Type.GetTypeFromCLSID",
        "SegPlugins.Core.Masks.IO.CocoRle.Save",
        "SegPlugins.Core.Masks.IO.CocoRle.Load",
        "SegPlugins.Core.Masks.IO.MaskPolygons.SaveJson",
        "SegPlugins.Core.Masks.IO.MaskPolygons.SaveSvg",
        "SegPlugins.Core.Masks.IO.MaskPolygons.LoadJson",
    };

    /// <summary>
    /// Types a recipe may name even inside a forbidden namespace because the globals hand them out: the globals
    /// class itself and the types in its public signatures (kept in sync by reflection).
    /// </summary>
    private static readonly Lazy<HashSet<string>> s_globalsTypes = new(() =>
    {
        var set = new HashSet<string>(StringComparer.Ordinal) { typeof(RecipeGlobals).FullName! };
        void Add(Type? t)
        {
            while (t is not null && (t.IsArray || t.IsByRef || t.IsPointer)) t = t.GetElementType();
            if (t is null) return;
            if (t.IsGenericType)
            {
                foreach (var a in t.GetGenericArguments()) Add(a);
                t = t.GetGenericTypeDefinition();
            }
            if (t.FullName is { } n) set.Add(n.Split('`')[0]);
        }
        foreach (var m in typeof(RecipeGlobals).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
        {
            switch (m)
            {
                case PropertyInfo p: Add(p.PropertyType); break;
                case MethodInfo mi:
                    Add(mi.ReturnType);
                    foreach (var p in mi.GetParameters()) Add(p.ParameterType);
                    break;
            }
        }
        return set;
    });

    public static List<RecipeDiagnostic> Check(Compilation compilation, string fallbackFile)
    {
        var found = new List<RecipeDiagnostic>();
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            var flagged = new List<Microsoft.CodeAnalysis.Text.TextSpan>();
            foreach (var node in tree.GetRoot().DescendantNodesAndSelf(n => !IsNameof(n)))
            {
                string? reason = CheckSyntax(node);
                bool structural = reason is not null;
                if (reason is null)
                {
                    if (node is ExpressionSyntax or ConstructorInitializerSyntax or AttributeSyntax or PrimaryConstructorBaseTypeSyntax)
                    {
                        var info = model.GetSymbolInfo(node);
                        reason = Forbidden(info.Symbol);
                        if (reason is null)
                            foreach (var c in info.CandidateSymbols)
                                if ((reason = Forbidden(c)) is not null) break;
                    }
                    if (reason is null && node is ExpressionSyntax)
                    {
                        var type = model.GetTypeInfo(node).Type;
                        if (type is IDynamicTypeSymbol)
                            reason = "'dynamic' binds members at run time, past this check";
                        else
                            reason = Forbidden(type);
                    }
                }
                if (reason is null) continue;
                // One message per use: nodes come outermost first, so skip names inside an already reported call.
                // Structural findings (an unsafe block, an extern method) do not hide the specific uses inside them.
                if (flagged.Exists(f => f.Contains(node.Span))) continue;
                if (!structural) flagged.Add(node.Span);
                found.Add(RecipeDiagnostic.At("SEG2001", node.GetLocation(), fallbackFile, $"not allowed with --restricted: {reason}"));
            }
        }
        return found;
    }

    private static bool IsNameof(SyntaxNode n) =>
        n is InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } inv
        && inv.ArgumentList.Arguments.Count == 1;

    /// <summary>Constructs that are unsafe whatever symbols they touch.</summary>
    private static string? CheckSyntax(SyntaxNode node) => node switch
    {
        UnsafeStatementSyntax => "unsafe code",
        FixedStatementSyntax => "unsafe code (fixed)",
        PointerTypeSyntax => "unsafe code (pointer type)",
        FunctionPointerTypeSyntax => "function pointer",
        MemberDeclarationSyntax m when HasModifier(m, SyntaxKind.UnsafeKeyword) => "unsafe code",
        MemberDeclarationSyntax m when HasModifier(m, SyntaxKind.ExternKeyword) => "extern (native) method",
        LocalFunctionStatementSyntax f when f.Modifiers.Any(SyntaxKind.UnsafeKeyword) => "unsafe code",
        LocalFunctionStatementSyntax f when f.Modifiers.Any(SyntaxKind.ExternKeyword) => "extern (native) method",
        PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.AddressOfExpression) => "unsafe code (address-of)",
        PrefixUnaryExpressionSyntax p when p.IsKind(SyntaxKind.PointerIndirectionExpression) => "unsafe code (pointer dereference)",
        MemberAccessExpressionSyntax ma when ma.IsKind(SyntaxKind.PointerMemberAccessExpression) => "unsafe code (pointer member access)",
        _ => null,
    };

    private static bool HasModifier(MemberDeclarationSyntax m, SyntaxKind kind) => m.Modifiers.Any(kind);

    private static string? Forbidden(ISymbol? symbol)
    {
        switch (symbol)
        {
            case null or INamespaceSymbol or ILocalSymbol or IParameterSymbol or ILabelSymbol or IRangeVariableSymbol or IDiscardSymbol:
                return null;
            case IAliasSymbol alias:
                return Forbidden(alias.Target);
            case IDynamicTypeSymbol:
                return "'dynamic' binds members at run time, past this check";
            case IPointerTypeSymbol:
                return "unsafe code (pointer type)";
            case IFunctionPointerTypeSymbol:
                return "function pointer";
            case IArrayTypeSymbol arr:
                return Forbidden(arr.ElementType);
            case INamedTypeSymbol type:
                {
                    string? r = ForbiddenType(type);
                    if (r is not null) return r;
                    foreach (var a in type.TypeArguments)
                        if ((r = Forbidden(a)) is not null) return r;
                    return null;
                }
            case IMethodSymbol m:
                {
                    var def = m.ReducedFrom ?? m;
                    if (def.MethodKind == MethodKind.FunctionPointerSignature) return "function pointer";
                    string full = $"{Display(def.ContainingType)}.{def.Name}";
                    if (RefusedMembers.Contains(full)) return $"{def.ToDisplayString()} ({Why(full)})";
                    if (def.ContainingType is { } ct && ForbiddenType(ct) is { } r) return r.Replace(Display(ct), def.ToDisplayString(), StringComparison.Ordinal);
                    foreach (var a in m.TypeArguments)
                        if (Forbidden(a) is { } ra) return ra;
                    return null;
                }
            default:
                {
                    if (symbol.ContainingType is { } ct)
                    {
                        string full = $"{Display(ct)}.{symbol.Name}";
                        if (RefusedMembers.Contains(full)) return $"{symbol.ToDisplayString()} ({Why(full)})";
                        if (ForbiddenType(ct) is { } r) return r.Replace(Display(ct), symbol.ToDisplayString(), StringComparison.Ordinal);
                    }
                    return null;
                }
        }
    }

    private static string Display(INamedTypeSymbol t) =>
        t.OriginalDefinition.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None));

    private static string? ForbiddenType(INamedTypeSymbol type)
    {
        var outer = type.OriginalDefinition;
        while (outer.ContainingType is { } c) outer = c;
        // The recipe's own classes, records and top-level members (the script class), anonymous types and names that
        // did not bind (the compiler reports those) are not routes out; what they use is checked where it is used.
        if (outer.IsAnonymousType || outer.TypeKind == TypeKind.Error || outer.Locations.Any(l => l.IsInSource)) return null;
        string ns = outer.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        string name = Display(type);
        string outerName = Display(outer);
        if (s_globalsTypes.Value.Contains(outerName)) return null;
        if (RefusedTypes.Contains(outerName)) return $"{name} ({Why(outerName)})";
        if (AllowedTypes.Contains(outerName) || IsAllowedNamespace(ns)) return null;
        return $"{name} ({Why(ReasonKey(outerName, ns))})";
    }

    internal static bool IsAllowedNamespace(string ns)
    {
        foreach (var a in AllowedNamespaces)
        {
            if (a.EndsWith(".*", StringComparison.Ordinal))
            {
                var root = a[..^2];
                if (ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal)) return true;
            }
            else if (ns == a) return true;
        }
        return false;
    }

    /// <summary>The most specific known reason for refusing a type outside the allowlist.</summary>
    private static string ReasonKey(string typeName, string ns)
    {
        if (typeName.StartsWith("System.Diagnostics.Process", StringComparison.Ordinal)) return typeName;
        foreach (var known in KnownRefusals)
            if (typeName == known || ns == known || ns.StartsWith(known + ".", StringComparison.Ordinal)) return known;
        return ns;
    }

    private static readonly string[] KnownRefusals =
    [
        "System.IO", "System.Net", "System.Reflection", "System.Runtime.InteropServices", "System.Runtime.Loader",
        "System.Runtime.Intrinsics", "SegPlugins.Core.IO", "SegPlugins.Core.Inference", "SegPlugins.Core.Segmentation.Sam.SamSession",
        "SegPlugins.Core.Segmentation", "SegPlugins.Core.Effects", "SegPlugins.Evaluation", "SegPlugins.Scripting",
    ];

    private static string Why(string what) => what switch
    {
        "System.IO" => "file system access; read and write through the recipe globals: Input, Save, SaveText, ReadSidecarText",
        "System.Net" => "network access",
        "System.Reflection" => "reflection",
        "System.Runtime.InteropServices" => "native interop",
        "System.Runtime.Loader" => "assembly loading",
        "System.Runtime.Intrinsics" => "raw memory access",
        "System.AppDomain" or "System.Activator" => "process-wide state or dynamic creation",
        "System.Console" => "the console belongs to the host; use Log",
        "System.Runtime.CompilerServices.Unsafe" => "unsafe memory access",
        "System.Environment.Exit" or "System.Environment.FailFast" => "ends the whole process",
        "System.Environment.SetEnvironmentVariable" or "System.Environment.CurrentDirectory" => "changes process-wide state",
        "System.Type.InvokeMember" or "System.Type.GetTypeFromProgID" or "System.Type.GetTypeFromCLSID" => "reflection",
        "SegPlugins.Core.IO" or "SegPlugins.Core.Imaging.ImageIO" or "SegPlugins.Core.Masks.IO.MaskPng" or "SegPlugins.Core.Masks.IO.NpyFile"
            => "engine file access; use the recipe globals Input, LoadImage, Save, SaveText",
        _ when what.StartsWith("SegPlugins.Core.Masks.IO.", StringComparison.Ordinal) => "engine file access; use SaveText with the in-memory form (e.g. CocoRle.ToJson)",
        "SegPlugins.Core.Inference" or "SegPlugins.Core.Segmentation.Sam.SamSession" or "SegPlugins.Core.Segmentation"
            => "opens models, model files or fetches them; recipes segment through SelectPoints, SelectBox, SelectSubject",
        "SegPlugins.Core.Effects" => "host plug-in models",
        "SegPlugins.Evaluation" => "datasets and reports read and write files; run segplug eval instead",
        "SegPlugins.Scripting" => "host internals",
        _ when what.StartsWith("System.Diagnostics.Process", StringComparison.Ordinal) => "starts or inspects processes",
        _ => "outside the recipe surface: --restricted allows the recipe globals, Core's pure types and operations and "
             + "the base library's System, collections, LINQ, text, JSON, regular expressions, globalization, numerics and tasks",
    };
}

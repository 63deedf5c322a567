using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// The --restricted check: resolves every name, member access, creation and call in the recipe (and its
/// <c>#load</c>-ed files) against the semantic model and rejects routes out of the recipe's lane (files, processes,
/// network, reflection, native code, loaders, process-wide state). Aliases, <c>global::</c> names and
/// <c>using static</c> all resolve to the same symbols, so they are caught the same way.
/// This guards against accidents; it is not a sandbox (see RECIPES.md).
/// </summary>
internal static class RestrictedChecker
{
    private static readonly string[] ForbiddenNamespaces =
    [
        "System.IO",
        "System.Net",
        "System.Reflection",
        "System.Runtime.InteropServices",
        "System.Runtime.Loader",
        "System.Runtime.Intrinsics.X86", // raw pointer loads
        // The engine's own file and model plumbing: recipes read and write through the globals instead.
        "SegPlugins.Core.IO",
        "SegPlugins.Core.Inference",
        "SegPlugins.Scripting",
    ];

    private static readonly HashSet<string> ForbiddenTypes = new(StringComparer.Ordinal)
    {
        "System.AppDomain",
        "System.Activator",
        "System.Diagnostics.Process",
        "System.Diagnostics.ProcessStartInfo",
        "System.Diagnostics.ProcessModule",
        "System.Diagnostics.ProcessThread",
        "System.Runtime.CompilerServices.Unsafe",
        "SegPlugins.Core.Imaging.ImageIO",
        "SegPlugins.Core.Masks.IO.MaskPng",
        "SegPlugins.Core.Segmentation.Sam.SamSession",
        "SegPlugins.Core.Segmentation.Subject.SubjectSelector",
    };

    private static readonly HashSet<string> ForbiddenMembers = new(StringComparer.Ordinal)
    {
        "System.Environment.Exit",
        "System.Environment.FailFast",
        "System.Environment.SetEnvironmentVariable",
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
                    if (ForbiddenMembers.Contains(full)) return $"{def.ToDisplayString()} ({Why(full)})";
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
                        if (ForbiddenMembers.Contains(full)) return $"{symbol.ToDisplayString()} ({Why(full)})";
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
        string ns = outer.ContainingNamespace?.ToDisplayString() ?? "";
        string name = Display(type);
        string outerName = Display(outer);
        if (s_globalsTypes.Value.Contains(outerName)) return null;
        if (ForbiddenTypes.Contains(outerName)) return $"{name} ({Why(outerName)})";
        foreach (var f in ForbiddenNamespaces)
            if (ns == f || ns.StartsWith(f + ".", StringComparison.Ordinal))
                return $"{name} ({Why(f)})";
        return null;
    }

    private static string Why(string what) => what switch
    {
        "System.IO" => "file system access; read and write through the recipe globals: Input, Save, SaveText, ReadSidecarText",
        "System.Net" => "network access",
        "System.Reflection" => "reflection",
        "System.Runtime.InteropServices" => "native interop",
        "System.Runtime.Loader" => "assembly loading",
        "System.Runtime.Intrinsics.X86" => "raw memory access",
        "System.AppDomain" or "System.Activator" => "process-wide state or dynamic creation",
        "System.Runtime.CompilerServices.Unsafe" => "unsafe memory access",
        "System.Environment.Exit" or "System.Environment.FailFast" => "ends the whole process",
        "System.Environment.SetEnvironmentVariable" => "changes process-wide state",
        "System.Type.InvokeMember" or "System.Type.GetTypeFromProgID" or "System.Type.GetTypeFromCLSID" => "reflection",
        "SegPlugins.Core.IO" or "SegPlugins.Core.Imaging.ImageIO" or "SegPlugins.Core.Masks.IO.MaskPng"
            => "engine file access; use the recipe globals Input, LoadImage, Save, SaveText",
        _ when what.StartsWith("SegPlugins.Core.Masks.IO.", StringComparison.Ordinal) => "engine file access; use SaveText with the in-memory form (e.g. CocoRle.ToJson)",
        "SegPlugins.Core.Inference" or "SegPlugins.Core.Segmentation.Sam.SamSession" or "SegPlugins.Core.Segmentation.Subject.SubjectSelector" => "opens models or fetches them; recipes segment through SelectPoints, SelectBox, SelectSubject",
        "SegPlugins.Scripting" => "host internals",
        _ when what.StartsWith("System.Diagnostics.Process", StringComparison.Ordinal) => "starts or inspects processes",
        _ => "outside the recipe surface",
    };
}

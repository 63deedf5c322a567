using Microsoft.CodeAnalysis;

namespace SegPlugins.Scripting.Recipes;

/// <summary>Severity of a <see cref="RecipeDiagnostic"/>.</summary>
public enum RecipeDiagnosticSeverity
{
    /// <summary>Informational; the recipe still runs.</summary>
    Info,
    /// <summary>A warning; the recipe still runs.</summary>
    Warning,
    /// <summary>An error; the recipe does not run.</summary>
    Error,
}

/// <summary>
/// One compiler or host message about a recipe, pointing into the recipe (or a <c>#load</c>-ed) file.
/// <paramref name="Line"/> and <paramref name="Column"/> are 1-based.
/// </summary>
/// <param name="Id">Compiler id (<c>CS0103</c>) or host id (<c>SEG1xxx</c> for directives, <c>SEG2xxx</c> for --restricted).</param>
/// <param name="Severity">How serious it is.</param>
/// <param name="File">Full path of the file the message points into.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Message">The message text.</param>
public sealed record RecipeDiagnostic(string Id, RecipeDiagnosticSeverity Severity, string File, int Line, int Column, string Message)
{
    /// <summary>The form editors and terminals recognise: <c>file(line,col): error CSxxxx: message</c>.</summary>
    public override string ToString()
    {
        string sev = Severity switch
        {
            RecipeDiagnosticSeverity.Error => "error",
            RecipeDiagnosticSeverity.Warning => "warning",
            _ => "info",
        };
        return $"{File}({Line},{Column}): {sev} {Id}: {Message}";
    }

    internal static RecipeDiagnostic FromRoslyn(Diagnostic d, string fallbackFile)
    {
        var span = d.Location.GetMappedLineSpan();
        string file = string.IsNullOrEmpty(span.Path) ? fallbackFile : span.Path;
        int line = span.IsValid ? span.StartLinePosition.Line + 1 : 1;
        int col = span.IsValid ? span.StartLinePosition.Character + 1 : 1;
        var sev = d.Severity switch
        {
            DiagnosticSeverity.Error => RecipeDiagnosticSeverity.Error,
            DiagnosticSeverity.Warning => RecipeDiagnosticSeverity.Warning,
            _ => RecipeDiagnosticSeverity.Info,
        };
        return new RecipeDiagnostic(d.Id, sev, file, line, col, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static RecipeDiagnostic At(string id, Location location, string fallbackFile, string message)
    {
        var span = location.GetLineSpan();
        string file = string.IsNullOrEmpty(span.Path) ? fallbackFile : span.Path;
        return new RecipeDiagnostic(id, RecipeDiagnosticSeverity.Error, file, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, message);
    }
}

using System.Reflection;
using System.Xml.Linq;
using SegPlugins.Scripting.Recipes;

namespace SegPlugins.Scripting.Tests;

public sealed class GlobalsDocsTests
{
    /// <summary>RecipeGlobals is the whole recipe surface: every public member carries a summary in the shipped XML docs.</summary>
    [Fact]
    public void EveryPublicGlobalsMember_IsDocumented()
    {
        string xmlPath = Path.ChangeExtension(typeof(RecipeGlobals).Assembly.Location, ".xml");
        var doc = XDocument.Load(xmlPath);
        var documented = doc.Descendants("member")
            .Where(m => !string.IsNullOrWhiteSpace((string?)m.Element("summary")))
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet();
        const string T = "SegPlugins.Scripting.Recipes.RecipeGlobals";
        Assert.Contains("T:" + T, documented);

        var missing = new List<string>();
        foreach (var m in typeof(RecipeGlobals).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
        {
            string prefix = m switch { PropertyInfo => "P:", FieldInfo => "F:", MethodInfo { IsSpecialName: false } => "M:", _ => "" };
            if (prefix.Length == 0) continue;
            string name = $"{prefix}{T}.{m.Name}";
            if (!documented.Any(d => d == name || d.StartsWith(name + "(", StringComparison.Ordinal))) missing.Add(name);
        }
        Assert.Empty(missing);
        // Every overload too: count documented method ids against public methods.
        int methods = typeof(RecipeGlobals).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Count(m => !m.IsSpecialName);
        int docMethods = documented.Count(d => d.StartsWith($"M:{T}.", StringComparison.Ordinal) && !d.StartsWith($"M:{T}.#ctor", StringComparison.Ordinal));
        Assert.Equal(methods, docMethods);
    }
}

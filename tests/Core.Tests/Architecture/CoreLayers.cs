namespace SegPlugins.Core.Tests.Architecture;

/// <summary>One layer of Core: its rank (higher may use lower) and the namespaces it owns (with their sub-namespaces).</summary>
public sealed record Layer(string Name, int Rank, params string[] Namespaces);

/// <summary>
/// Core's layers, bottom first, as drawn in docs/architecture.md. A namespace belongs to the layer whose namespace is
/// its longest prefix. Code may name its own layer and any layer of a lower rank; layers of equal rank are siblings
/// and may not name each other (model families stay apart unless one is built on another).
/// </summary>
public static class CoreLayers
{
    public static IReadOnlyList<Layer> All { get; } =
    [
        new("Base", 0, "SegPlugins.Core!", "SegPlugins.Core.IO"),
        new("Geometry", 1, "SegPlugins.Core.Geometry"),
        new("Imaging", 2, "SegPlugins.Core.Imaging"),
        new("Masks", 3, "SegPlugins.Core.Masks"),
        new("Inference", 4, "SegPlugins.Core.Inference"),
        new("Segmentation", 5, "SegPlugins.Core.Segmentation"),
        new("Segmentation.Sam", 6, "SegPlugins.Core.Segmentation.Sam"),
        new("Segmentation.Clip", 6, "SegPlugins.Core.Segmentation.Clip"),
        new("Segmentation.FastSam", 7, "SegPlugins.Core.Segmentation.FastSam"),
        new("Segmentation.Subject", 7, "SegPlugins.Core.Segmentation.Subject"),
        new("Segmentation.Everything", 8, "SegPlugins.Core.Segmentation.Everything"),
        new("Refinement", 9, "SegPlugins.Core.Refinement"),
        new("Editing", 10, "SegPlugins.Core.Editing"),
        new("Compositing", 11, "SegPlugins.Core.Compositing"),
        new("Effects", 12, "SegPlugins.Core.Effects"),
        new("Evaluation", 13, "SegPlugins.Core.Evaluation"),
    ];

    /// <summary>The layer of <paramref name="ns"/>, or null when no layer owns it. "X!" owns X alone, not X's children.</summary>
    public static Layer? Of(string ns, IReadOnlyList<Layer>? layers = null)
    {
        Layer? best = null;
        int bestLength = -1;
        foreach (var layer in layers ?? All)
            foreach (var owned in layer.Namespaces)
            {
                bool exact = owned.EndsWith('!');
                var name = exact ? owned[..^1] : owned;
                bool match = ns == name || (!exact && ns.StartsWith(name + ".", StringComparison.Ordinal));
                if (match && name.Length > bestLength) { best = layer; bestLength = name.Length; }
            }
        return best;
    }

    /// <summary>Every reference that breaks the layering, and every namespace that no layer owns.</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<NamespaceReference> references, IReadOnlyList<Layer>? layers = null)
    {
        var problems = new List<string>();
        var unowned = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in references)
        {
            var from = Of(r.From, layers);
            var to = Of(r.To, layers);
            if (from is null) unowned.Add(r.From);
            if (to is null) unowned.Add(r.To);
            if (from is null || to is null || from == to) continue;
            if (to.Rank > from.Rank)
                problems.Add($"wrong way: {from.Name} (rank {from.Rank}) names {to.Name} (rank {to.Rank}): {r}");
            else if (to.Rank == from.Rank)
                problems.Add($"sibling: {from.Name} names {to.Name}, both rank {to.Rank}: {r}");
        }
        problems.AddRange(unowned.Select(ns => $"namespace {ns} belongs to no layer (add it to CoreLayers and docs/architecture.md)"));
        return problems;
    }

    /// <summary>The cycles between layers (strongly connected sets of two or more), each as its layer names.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IEnumerable<NamespaceReference> references, IReadOnlyList<Layer>? layers = null)
    {
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var r in references)
        {
            var from = Of(r.From, layers)?.Name ?? r.From;
            var to = Of(r.To, layers)?.Name ?? r.To;
            if (from == to) continue;
            if (!edges.TryGetValue(from, out var set)) edges[from] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(to);
            edges.TryAdd(to, new HashSet<string>(StringComparer.Ordinal));
        }

        // Tarjan's strongly connected components.
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var cycles = new List<IReadOnlyList<string>>();
        int next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges[v])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) { component.Sort(StringComparer.Ordinal); cycles.Add(component); }
        }
        foreach (var v in edges.Keys.OrderBy(k => k, StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return cycles;
    }
}

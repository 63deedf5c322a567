namespace SegPlugins.Core.Segmentation.Sam;

/// <summary>
/// Recently used embeddings, keyed by encoder and image content, evicted least-recently-used first so that the
/// total stays within a byte budget. Thread-safe.
/// </summary>
internal sealed class EmbeddingCache
{
    private readonly object _lock = new();
    private readonly LinkedList<SamImageEmbedding> _order = new();
    private readonly Dictionary<(string, UInt128), LinkedListNode<SamImageEmbedding>> _map = new();
    private long _bytes;

    public EmbeddingCache(long budgetBytes) => BudgetBytes = Math.Max(0, budgetBytes);

    public long BudgetBytes { get; }

    public long Bytes { get { lock (_lock) return _bytes; } }

    public int Count { get { lock (_lock) return _map.Count; } }

    public SamImageEmbedding? TryGet(string modelKey, UInt128 imageHash)
    {
        lock (_lock)
        {
            if (!_map.TryGetValue((modelKey, imageHash), out var node)) return null;
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value;
        }
    }

    public void Add(SamImageEmbedding e)
    {
        if (e.SizeInBytes > BudgetBytes) return;
        lock (_lock)
        {
            var key = (e.ModelKey, e.ImageHash);
            if (_map.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
                _bytes -= existing.Value.SizeInBytes;
                _map.Remove(key);
            }
            while (_bytes + e.SizeInBytes > BudgetBytes && _order.Last is { } last)
            {
                _order.RemoveLast();
                _map.Remove((last.Value.ModelKey, last.Value.ImageHash));
                _bytes -= last.Value.SizeInBytes;
            }
            _map[key] = _order.AddFirst(e);
            _bytes += e.SizeInBytes;
        }
    }

    public void Clear()
    {
        lock (_lock) { _order.Clear(); _map.Clear(); _bytes = 0; }
    }
}

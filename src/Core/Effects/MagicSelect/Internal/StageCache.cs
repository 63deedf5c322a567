namespace SegPlugins.Core.Effects.MagicSelect.Internal;

/// <summary>
/// The remembered result of one stage of the magic-select renderer: the value made for the last key, made again only
/// when the key changes. Keys compare with <see cref="EqualityComparer{T}.Default"/>; sessions, embeddings, maps and
/// masks have no value equality, so they compare by reference (the same object, not equal content). Not thread-safe:
/// the renderer touches its stages under one lock.
/// </summary>
internal sealed class StageCache<TKey, TValue>
{
    private bool _has;
    private TKey _key = default!;
    private TValue _value = default!;

    /// <summary>The value kept for <paramref name="key"/>, if the last value was made for it.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (_has && EqualityComparer<TKey>.Default.Equals(_key, key))
        {
            value = _value;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>
    /// The value for <paramref name="key"/>, made by <paramref name="make"/> when the kept one is for another key. The old
    /// value is dropped before <paramref name="make"/> runs, so a failing or cancelled stage leaves nothing stale behind.
    /// </summary>
    public TValue GetOrMake(TKey key, Func<TValue> make)
    {
        if (TryGet(key, out var value)) return value;
        Clear();
        value = make();
        Set(key, value);
        return value;
    }

    public void Set(TKey key, TValue value)
    {
        _key = key;
        _value = value;
        _has = true;
    }

    public void Clear()
    {
        _has = false;
        _key = default!;
        _value = default!;
    }
}

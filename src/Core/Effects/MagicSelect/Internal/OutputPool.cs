using SegPlugins.Core.Imaging;

namespace SegPlugins.Core.Effects.MagicSelect.Internal;

/// <summary>
/// The renderer's published output and the one buffer it recycles. Tile copies read the current output from any thread
/// (<see cref="Acquire"/>/<see cref="Release"/>); the renderer installs a new output under its own lock and writes the
/// previous one's image again only when no reader holds it and it was never handed out whole.
/// </summary>
internal sealed class OutputPool
{
    private volatile Prepared? _current;
    // The output published before the current one, kept to be written again once no tile copy reads it.
    private Prepared? _spare;

    /// <summary>The current output without counting a reader (for status only).</summary>
    public Prepared? Current => _current;

    /// <summary>Outputs written into the buffer of an earlier one (for tests).</summary>
    public int Recycled { get; private set; }

    /// <summary>
    /// The current output, counted as read until <see cref="Release"/>. A reader that catches an output just as it
    /// is replaced takes the new one instead, so an output is only written again when no reader holds it: readers
    /// count themselves in before looking at <see cref="Prepared.Retired"/>, and <see cref="Install"/> marks an output
    /// retired before looking at its reader count (both with full fences), so one of the two always sees the other.
    /// </summary>
    public Prepared? Acquire()
    {
        while (true)
        {
            var p = _current;
            if (p is null) return null;
            Interlocked.Increment(ref p.Readers);
            if (Volatile.Read(ref p.Retired) == 0) return p;
            Interlocked.Decrement(ref p.Readers);
        }
    }

    public static void Release(Prepared p) => Interlocked.Decrement(ref p.Readers);

    /// <summary>Makes <paramref name="next"/> the output; the one it replaces becomes the spare when the renderer made it.</summary>
    public void Install(Prepared next)
    {
        var old = _current;
        _current = next;
        if (old is null) return;
        Interlocked.Exchange(ref old.Retired, 1);
        if (old.Owned && !ReferenceEquals(old.Image, next.Image)) _spare = old;
    }

    /// <summary>The spare output's image when it has this size and nothing reads or holds it; it is then no longer the spare.</summary>
    public BgraImage? Reuse(int width, int height)
    {
        var s = _spare;
        if (s is null || s.Image.Width != width || s.Image.Height != height || s.Exposed || Volatile.Read(ref s.Readers) != 0) return null;
        _spare = null;
        Recycled++;
        return s.Image;
    }

    /// <summary>A published output. <see cref="Owned"/>: the renderer made the image and may write it again once retired.</summary>
    internal sealed class Prepared(BgraImage image, EffectStatus status, bool owned)
    {
        public BgraImage Image { get; } = image;
        public EffectStatus Status { get; } = status;
        public bool Owned { get; } = owned;
        /// <summary>Tile copies and whole-output reads in progress.</summary>
        public int Readers;
        /// <summary>1 once a newer output replaced this one.</summary>
        public int Retired;
        /// <summary>Handed out whole (the renderer's <c>Output</c>), so never written again.</summary>
        public volatile bool Exposed;
    }
}

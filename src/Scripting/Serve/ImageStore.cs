using System.Security.Cryptography;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation.Sam;

namespace SegPlugins.Scripting.Serve;

/// <summary>The images the server holds: at most <see cref="Capacity"/>, the least recently used dropped first.</summary>
internal sealed class ImageStore : IDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ServedImage> _images = new(StringComparer.Ordinal);
    private readonly SamSession _sam;
    private long _clock;

    private readonly int _undoLimit;
    private readonly SubjectModel? _subject;
    private readonly bool _subjectGuide;
    private readonly TextWriter _log;

    /// <summary>A store of at most <paramref name="capacity"/> images, each with <paramref name="undoLimit"/> undo steps.</summary>
    /// <param name="sam">The session every image is encoded and answered with.</param>
    /// <param name="capacity">Images held at once.</param>
    /// <param name="undoLimit">Edits that can be undone per image.</param>
    /// <param name="subject">The salient-object model (box crops' maps, and the first click's with <paramref name="subjectGuide"/>), or null for SAM alone.</param>
    /// <param name="subjectGuide">Read each image's first click with its salient-object map (the measured default).</param>
    /// <param name="log">Hears when an image's salient-object map cannot be made.</param>
    public ImageStore(SamSession sam, int capacity, int undoLimit, SubjectModel? subject = null, bool subjectGuide = true, TextWriter? log = null)
    {
        _sam = sam;
        _subject = subject;
        _subjectGuide = subjectGuide;
        _log = log ?? TextWriter.Null;
        Capacity = capacity;
        _undoLimit = undoLimit;
    }

    public int Capacity { get; }

    public int Count { get { lock (_lock) return _images.Count; } }

    /// <summary>Images dropped to make room so far.</summary>
    public int Evicted { get; private set; }

    /// <summary>Holds a new image and starts computing its embedding; drops the least recently used one when full.</summary>
    public ServedImage Add(string name, BgraImage image)
    {
        ServedImage? dropped = null;
        ServedImage added;
        lock (_lock)
        {
            if (_images.Count >= Capacity)
            {
                dropped = _images.Values.MinBy(i => i.LastUsed);
                if (dropped is not null) { _images.Remove(dropped.Id); Evicted++; }
            }
            string id;
            do id = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
            while (_images.ContainsKey(id));
            added = new ServedImage(id, name, image, _sam, _undoLimit, _subject, _subjectGuide, _log) { LastUsed = ++_clock, Sequence = _clock };
            _images.Add(id, added);
        }
        dropped?.Dispose();
        return added;
    }

    public ServedImage? Get(string id)
    {
        lock (_lock)
        {
            if (!_images.TryGetValue(id, out var image)) return null;
            image.LastUsed = ++_clock;
            return image;
        }
    }

    public bool Remove(string id)
    {
        ServedImage? image;
        lock (_lock)
        {
            if (!_images.Remove(id, out image)) return false;
        }
        image.Dispose();
        return true;
    }

    /// <summary>The held images in the order they arrived.</summary>
    public IReadOnlyList<ServedImage> List()
    {
        lock (_lock) return _images.Values.OrderBy(i => i.Sequence).ToArray();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var i in _images.Values) i.Dispose();
            _images.Clear();
        }
    }
}

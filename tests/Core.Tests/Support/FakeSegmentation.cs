using SegPlugins.Core.Geometry;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Core.Tests.Support;

/// <summary>Masks, answers and sessions made up for tests of the code that sits on top of a model.</summary>
internal static class FakeSegmentation
{
    /// <summary>Builds a mask from rows of characters: '#' set.</summary>
    public static Mask MaskOf(params string[] rows)
    {
        int w = rows[0].Length, h = rows.Length;
        var m = new Mask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                m.Data[y * w + x] = rows[y][x] == '#' ? Mask.On : Mask.Off;
        return m;
    }


    /// <summary>A stand-in saliency model: the image's green channel scaled to 0..1.</summary>
    public static LogitMap ObjectSaliency(BgraImage image, CancellationToken cancellationToken)
    {
        var map = new LogitMap(image.Width, image.Height);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                map.Data[y * image.Width + x] = image.Pixels[y * image.Stride + 4 * x + 1] / 255f;
        return map;
    }

    /// <summary>
    /// A multi-mask answer: proposal i reads <paramref name="masks"/>[i] with confident logits (±8), scored by
    /// <paramref name="scores"/> (0.9 each when null); <paramref name="chosen"/> is the decoder's choice.
    /// </summary>
    public static MaskPrediction Readings(int chosen, float[]? scores, params Mask[] masks)
    {
        var proposals = new MaskProposal[masks.Length];
        for (int i = 0; i < masks.Length; i++) proposals[i] = new MaskProposal(i, scores?[i] ?? 0.9f, new LogitMap(256, 256));
        return new MaskPrediction(masks[chosen], proposals[chosen], proposals, q =>
        {
            var m = masks[q.Index];
            var l = new LogitMap(m.Width, m.Height);
            for (int i = 0; i < l.Data.Length; i++) l.Data[i] = m.Data[i] != 0 ? 8f : -8f;
            return l;
        });
    }

    public static Mask Disk(int w, int h, double cx, double cy, double r)
    {
        var m = new Mask(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m.Data[y * w + x] = Mask.On;
        return m;
    }
}

/// <summary>
/// A deterministic stand-in for a model: the prediction is the union of disks around positive clicks minus disks
/// around negative clicks; a box predicts the box. Records what it was asked.
/// </summary>
internal sealed class DiskSession : ISegmentationSession
{
    private readonly double _radius;
    private BgraImage? _image;

    public DiskSession(double radius, string name = "disk-fake")
    {
        _radius = radius;
        ModelName = name;
    }

    public string ModelName { get; }

    /// <summary>When set, a prompt with a box predicts the box alone and ignores the points (to provoke disagreement).</summary>
    public bool BoxIgnoresPoints { get; init; }

    public bool HasImage => _image is not null;
    public int ImageWidth => _image?.Width ?? 0;
    public int ImageHeight => _image?.Height ?? 0;
    public int SetImageCalls { get; private set; }
    public List<PromptSet> Requests { get; } = new();
    public List<DiskSession> Views { get; } = new();
    public bool Disposed { get; private set; }

    public void SetImage(BgraImage image, CancellationToken cancellationToken = default)
    {
        _image = image;
        SetImageCalls++;
    }

    /// <summary>A view on another image, like the engine's ForImage.</summary>
    public DiskSession ForImage(BgraImage image)
    {
        var v = new DiskSession(_radius, ModelName);
        v.SetImage(image);
        Views.Add(v);
        return v;
    }

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (_image is null) throw new InvalidOperationException("no image");
        prompts.Validate(_image.Width, _image.Height);
        Requests.Add(prompts);
        int w = _image.Width, h = _image.Height;
        var mask = new Mask(w, h);
        if (prompts.Box is { } b)
            for (int y = (int)b.Y0; y <= (int)b.Y1 && y < h; y++)
                for (int x = (int)b.X0; x <= (int)b.X1 && x < w; x++) mask.Data[y * w + x] = Mask.On;
        foreach (var positive in new[] { true, false })
            foreach (var p in BoxIgnoresPoints && prompts.Box is not null ? [] : prompts.Points)
            {
                if (p.Positive != positive) continue;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        if ((x - p.X) * (x - p.X) + (y - p.Y) * (y - p.Y) <= _radius * _radius)
                            mask.Data[y * w + x] = positive ? Mask.On : Mask.Off;
            }
        var low = new LogitMap(256, 256);
        var chosen = new MaskProposal(0, 0.9f, low);
        // Logits that say the same as the mask, confidently (as SAM's do far from an edge).
        return new MaskPrediction(mask, chosen, [chosen], _ =>
        {
            var logits = new LogitMap(w, h);
            for (int i = 0; i < logits.Data.Length; i++) logits.Data[i] = mask.Data[i] != 0 ? 10f : -10f;
            return logits;
        });
    }

    public void Reset() => _image = null;

    public void Dispose() => Disposed = true;
}

/// <summary>Answers prompts with the given predictions in turn, the last one from then on.</summary>
internal sealed class ScriptedSession(int width, int height, params MaskPrediction[] answers) : ISegmentationSession
{
    private int _next;
    public string ModelName => "scripted";
    public bool HasImage => true;
    public int ImageWidth => width;
    public int ImageHeight => height;
    public List<PromptSet> Requests { get; } = new();
    public void SetImage(BgraImage image, CancellationToken cancellationToken = default) { }

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        Requests.Add(prompts);
        return answers[Math.Min(_next++, answers.Length - 1)];
    }

    public void Reset() { }
    public void Dispose() { }
}

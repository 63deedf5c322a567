using System.Diagnostics;
using System.Globalization;
using System.Text;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Segmentation;

namespace SegPlugins.Scripting.Serve;

/// <summary>
/// The stages of one request, in milliseconds, sent back as a <c>Server-Timing</c> header
/// (<c>parse;dur=0.4, wait;dur=0.0, decoder;dur=61.2, ...</c>), which browsers' developer tools show and the page records.
/// </summary>
internal sealed class ServerTiming
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(string Name, double Ms)> _stages = [];

    /// <summary>Ends the stage that began at the last lap (or at the start) and names it.</summary>
    public void Lap(string name)
    {
        _stages.Add((name, _clock.Elapsed.TotalMilliseconds));
        _clock.Restart();
    }

    /// <summary>Records a stage timed elsewhere (it is not taken out of the running stage).</summary>
    public void Add(string name, double ms) => _stages.Add((name, ms));

    /// <summary>Moves <paramref name="ms"/> out of the last stage into a new stage <paramref name="name"/> (a part timed inside it).</summary>
    public void Split(string name, double ms)
    {
        if (_stages.Count == 0) return;
        var (last, total) = _stages[^1];
        ms = Math.Clamp(ms, 0, total);
        _stages[^1] = (last, total - ms);
        _stages.Add((name, ms));
    }

    /// <summary>The milliseconds of the stage <paramref name="name"/>, or 0.</summary>
    public double this[string name]
    {
        get
        {
            double sum = 0;
            foreach (var (n, ms) in _stages) if (n == name) sum += ms;
            return sum;
        }
    }

    public string Header()
    {
        var sb = new StringBuilder();
        foreach (var (name, ms) in _stages)
        {
            if (sb.Length > 0) sb.Append(", ");
            sb.Append(name).Append(";dur=").Append(ms.ToString("0.0", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}

/// <summary>A session view that adds up the time spent in the decoder (one image's requests run one at a time).</summary>
internal sealed class TimedSession(ISegmentationSession inner) : ISegmentationSession
{
    /// <summary>Milliseconds spent in <see cref="Predict"/> so far.</summary>
    public double PredictMs { get; private set; }

    public string ModelName => inner.ModelName;
    public bool HasImage => inner.HasImage;
    public int ImageWidth => inner.ImageWidth;
    public int ImageHeight => inner.ImageHeight;

    public MaskPrediction Predict(PromptSet prompts, PredictOptions? options = null, CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        try { return inner.Predict(prompts, options, cancellationToken); }
        finally { PredictMs += Stopwatch.GetElapsedTime(start).TotalMilliseconds; }
    }

    public void SetImage(BgraImage image, CancellationToken cancellationToken = default) => inner.SetImage(image, cancellationToken);
    public void Reset() => inner.Reset();
    public void Dispose() => inner.Dispose();
}

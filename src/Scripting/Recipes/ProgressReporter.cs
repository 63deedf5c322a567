using System.Diagnostics;
using System.Globalization;

namespace SegPlugins.Scripting.Recipes;

/// <summary>
/// Progress on stderr: a redrawn bar (done/total, rate, ETA) on a terminal; when stderr is redirected (logs, CI,
/// batch schedulers) a plain line each time another tenth of the inputs is done, at least every 10 s, and for every
/// input that did not succeed.
/// </summary>
internal sealed class ProgressReporter
{
    private readonly TextWriter _err;
    private readonly int _total;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<int, double> _partial = [];
    private readonly object _gate = new();
    private int _done;
    private long _lastDrawMs = -1000;
    private int _lastDecile;
    private long _lastLineMs;

    public ProgressReporter(TextWriter stderr, int total, bool interactive)
    {
        _err = stderr;
        _total = total;
        _interactive = interactive;
    }

    public void ItemProgress(RecipeInput input, double fraction)
    {
        if (!_interactive) return;
        lock (_gate)
        {
            _partial[input.Index] = fraction;
            Draw(force: false);
        }
    }

    public void ItemDone(RecipeInput input, string outcome)
    {
        lock (_gate)
        {
            _done++;
            _partial.Remove(input.Index);
            if (_interactive)
            {
                Draw(force: true);
            }
            else
            {
                // A log gets a line per tenth of the batch or every 10 s, whichever comes first, and every failure:
                // a 10,000-image run writes about ten lines, not ten thousand.
                int decile = _total == 0 ? 10 : (int)(10L * _done / _total);
                long now = _clock.ElapsedMilliseconds;
                if (decile > _lastDecile || now - _lastLineMs >= 10_000 || outcome != "ok" || _done == _total)
                {
                    _err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_done}/{_total}] {outcome} {input.RelativePath}{Rate()}"));
                    _lastDecile = decile;
                    _lastLineMs = now;
                }
            }
        }
    }

    /// <summary>Writes a line above the bar (recipe logs share the terminal with it).</summary>
    public void Line(TextWriter target, string text)
    {
        lock (_gate)
        {
            if (_interactive) _err.Write("\r\x1b[2K");
            target.WriteLine(text);
            if (_interactive) Draw(force: true);
        }
    }

    public void Finish()
    {
        lock (_gate)
            if (_interactive) _err.WriteLine();
    }

    private string Rate()
    {
        double s = _clock.Elapsed.TotalSeconds;
        if (_done == 0 || s <= 0) return "";
        double rate = _done / s;
        double eta = (_total - _done) / rate;
        return string.Create(CultureInfo.InvariantCulture, $"  {rate:0.0#}/s  ETA {FormatTime(eta)}");
    }

    private void Draw(bool force)
    {
        long now = _clock.ElapsedMilliseconds;
        if (!force && now - _lastDrawMs < 100) return;
        _lastDrawMs = now;
        double done = _done;
        foreach (var f in _partial.Values) done += f;
        const int Width = 30;
        int filled = _total == 0 ? Width : (int)Math.Round(Width * done / _total);
        string bar = new string('#', Math.Clamp(filled, 0, Width)).PadRight(Width, '-');
        _err.Write(string.Create(CultureInfo.InvariantCulture, $"\r\x1b[2K[{bar}] {_done}/{_total}{Rate()}"));
        _err.Flush();
    }

    private static string FormatTime(double seconds)
    {
        if (!double.IsFinite(seconds)) return "?";
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }
}

using SegPlugins.Core.Inference;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// Download and verification progress on stderr: a redrawn bar on a terminal; otherwise (a log, CI) a plain line when
/// a stage starts, each time another 10 % is done, at most 10 s apart while it moves, and when a stage ends.
/// </summary>
public sealed class ConsoleProgress : IProgress<FetchProgress>
{
    private readonly TextWriter _err;
    private readonly bool _interactive;
    private readonly Func<DateTime> _clock;
    private readonly object _lock = new();
    private DateTime _lastPlain = DateTime.MinValue;
    private string _lastStage = "";
    private int _lastDecile = -1;

    public ConsoleProgress(TextWriter err, bool? interactive = null, Func<DateTime>? clock = null)
    {
        _err = err;
        _interactive = interactive ?? (!Console.IsErrorRedirected && ReferenceEquals(err, Console.Error));
        _clock = clock ?? (() => DateTime.UtcNow);
    }

    public void Report(FetchProgress p)
    {
        lock (_lock)
        {
            string text = Bar(p.ModelId + " " + p.Stage, p.BytesDone, p.BytesTotal);
            if (_interactive)
            {
                _err.Write("\r" + text.PadRight(Math.Min(Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 79, 100)));
                if (p.Stage == "done") _err.WriteLine();
            }
            else
            {
                int decile = p.BytesTotal is > 0 ? (int)Math.Clamp(p.BytesDone * 10 / p.BytesTotal.Value, 0, 10) : -1;
                var now = _clock();
                bool newStage = p.Stage != _lastStage;
                if (newStage) _lastDecile = -1;
                if (newStage || decile > _lastDecile || (now - _lastPlain).TotalSeconds >= 10)
                {
                    _err.WriteLine(text);
                    _lastPlain = now;
                    _lastDecile = Math.Max(_lastDecile, decile);
                }
            }
            _lastStage = p.Stage;
        }
    }

    public static string Bar(string label, long done, long? total, int width = 30)
    {
        if (total is > 0)
        {
            double f = Math.Clamp((double)done / total.Value, 0, 1);
            int fill = (int)(f * width);
            return $"{label} [{new string('#', fill)}{new string('.', width - fill)}] {f * 100,3:0}% {done / 1048576.0:0.0}/{total.Value / 1048576.0:0.0} MiB";
        }
        return $"{label} {done / 1048576.0:0.0} MiB";
    }
}

using SegPlugins.Core.Inference;

namespace SegPlugins.Scripting.Cli;

/// <summary>
/// A one-line progress bar on stderr. When stderr is not a terminal it prints a plain line now and then instead,
/// so logs stay readable.
/// </summary>
public sealed class ConsoleProgress : IProgress<FetchProgress>
{
    private readonly TextWriter _err;
    private readonly bool _interactive;
    private readonly object _lock = new();
    private DateTime _lastPlain = DateTime.MinValue;
    private string _lastStage = "";

    public ConsoleProgress(TextWriter err, bool? interactive = null)
    {
        _err = err;
        _interactive = interactive ?? (!Console.IsErrorRedirected && ReferenceEquals(err, Console.Error));
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
            else if (p.Stage != _lastStage || (DateTime.UtcNow - _lastPlain).TotalSeconds >= 5)
            {
                _err.WriteLine(text);
                _lastPlain = DateTime.UtcNow;
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

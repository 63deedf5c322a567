using System.Diagnostics;
using System.Globalization;

namespace SegPlugins.Scripting.Engine;

/// <summary>
/// Where a one-shot command spends its time: with <c>SEGPLUG_PHASES=1</c> in the environment, each checkpoint prints
/// one line to stderr with the wall time since the process started and the process's CPU time (both cores), so a
/// start-up can be taken apart without a profiler. Off by default; then a checkpoint costs one branch.
/// </summary>
internal sealed class PhaseLog
{
    /// <summary>The environment variable that turns the log on ("1").</summary>
    public const string EnvironmentVariable = "SEGPLUG_PHASES";

    private readonly TextWriter? _writer;
    private readonly DateTime _start;

    private PhaseLog(TextWriter? writer)
    {
        _writer = writer;
        if (writer is not null)
        {
            using var self = Process.GetCurrentProcess();
            _start = self.StartTime.ToUniversalTime();
        }
    }

    /// <summary>A log to <paramref name="stderr"/> when the variable is set, else one that prints nothing.</summary>
    public static PhaseLog FromEnvironment(TextWriter stderr) =>
        new(Environment.GetEnvironmentVariable(EnvironmentVariable) == "1" ? stderr : null);

    public bool Enabled => _writer is not null;

    /// <summary>Prints "phase NAME: wall W ms, cpu C ms" (both since the process started).</summary>
    public void Mark(string name)
    {
        if (_writer is null) return;
        using var self = Process.GetCurrentProcess();
        double wall = (DateTime.UtcNow - _start).TotalMilliseconds;
        double cpu = self.TotalProcessorTime.TotalMilliseconds;
        _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"phase {name}: wall {wall:0} ms, cpu {cpu:0} ms"));
    }
}

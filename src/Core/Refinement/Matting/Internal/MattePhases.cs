using System.Diagnostics;

namespace SegPlugins.Core.Refinement.Matting.Internal;

/// <summary>
/// Wall and process CPU time per phase of one solve (level set-up, stencil, CG per level, foreground), for the
/// benchmarks' breakdown (CPU time is the figure that survives a shared machine's load).
/// </summary>
internal sealed class MattePhases
{
    private readonly List<(string Phase, double Ms, double CpuMs)> _times = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Process _process = Process.GetCurrentProcess();
    private double _last, _lastCpu;

    public MattePhases() => _lastCpu = Cpu();

    public IReadOnlyList<(string Phase, double Ms, double CpuMs)> Times => _times;

    /// <summary>Records the time since the previous mark (or the start) under <paramref name="phase"/>.</summary>
    public void Mark(string phase)
    {
        double now = _clock.Elapsed.TotalMilliseconds, cpu = Cpu();
        _times.Add((phase, now - _last, cpu - _lastCpu));
        _last = now;
        _lastCpu = cpu;
    }

    private double Cpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime.TotalMilliseconds;
    }
}

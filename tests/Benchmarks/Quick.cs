using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace SegPlugins.Benchmarks;

/// <summary>Developer shortcut: <c>dotnet run -c Release -- quick [name...]</c> runs each benchmark once untimed, then five times, and prints the median.</summary>
internal static class Quick
{
    public static void Run(string[] names)
    {
        var b = new MaskBenchmarks();
        b.Setup();
        foreach (var m in typeof(MaskBenchmarks).GetMethods())
        {
            if (m.GetCustomAttributes(typeof(BenchmarkAttribute), false).Length == 0) continue;
            if (names.Length > 0 && !names.Any(n => m.Name.Contains(n, StringComparison.OrdinalIgnoreCase))) continue;
            // One untimed call first, as BenchmarkDotNet's warm-up does: JIT tiers and pooled buffers settle.
            m.Invoke(b, null);
            var times = new List<double>();
            var cpu = new List<double>();
            var proc = Process.GetCurrentProcess();
            for (int i = 0; i < 5; i++)
            {
                proc.Refresh();
                var c0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                m.Invoke(b, null);
                times.Add(sw.Elapsed.TotalMilliseconds);
                proc.Refresh();
                cpu.Add((proc.TotalProcessorTime - c0).TotalMilliseconds);
            }
            times.Sort();
            cpu.Sort();
            // CPU time is less distorted than wall time when other processes compete for the cores.
            Console.WriteLine($"{m.Name,-24} wall median {times[2],8:0.0} ms  min {times[0],8:0.0} ms  cpu median {cpu[2],8:0.0} ms");
        }
    }
}

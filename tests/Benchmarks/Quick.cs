using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace SegPlugins.Benchmarks;

/// <summary>
/// Developer shortcut: <c>dotnet run -c Release -- quick [ClassName] [name...]</c> (default class: MaskBenchmarks) warms
/// each benchmark up until the JIT has settled, then runs it 11 times and prints the median, the minimum and the median
/// CPU time. A class with a <c>Size</c> parameter runs once per value.
/// </summary>
internal static class Quick
{
    /// <summary>Calls before timing: the runtime recompiles a method optimised after 30 calls, in the background.</summary>
    private const int WarmupCalls = 40;
    private static readonly TimeSpan WarmupBudget = TimeSpan.FromSeconds(4);
    private const int Runs = 11;

    public static void Run(string[] names)
    {
        var type = names.Length > 0 ? typeof(Quick).Assembly.GetType("SegPlugins.Benchmarks." + names[0]) : null;
        if (type is not null) names = names[1..];
        type ??= typeof(MaskBenchmarks);
        var size = type.GetProperty("Size");
        var sizes = size?.GetCustomAttributes(typeof(ParamsAttribute), false).OfType<ParamsAttribute>().FirstOrDefault()?.Values ?? [null];
        foreach (var value in sizes)
        {
            var b = Activator.CreateInstance(type)!;
            if (value is not null)
            {
                size!.SetValue(b, value);
                Console.WriteLine($"{type.Name} Size={value}");
            }
            type.GetMethod("Setup")!.Invoke(b, null);
            Time(b, type, names);
            type.GetMethod("Cleanup")?.Invoke(b, null);
        }
    }

    private static void Time(object b, Type type, string[] names)
    {
        foreach (var m in type.GetMethods())
        {
            if (m.GetCustomAttributes(typeof(BenchmarkAttribute), false).Length == 0) continue;
            if (names.Length > 0 && !names.Any(n => m.Name.Contains(n, StringComparison.OrdinalIgnoreCase))) continue;
            // Few untimed calls leave parts of the code in the JIT's quick first tier (a warm-up of one call made
            // a memory-bound pass look twice as slow as BenchmarkDotNet measures it); give the optimised code
            // time to arrive before timing.
            var warm = Stopwatch.StartNew();
            for (int i = 0; i < WarmupCalls && warm.Elapsed < WarmupBudget; i++) m.Invoke(b, null);
            Thread.Sleep(250);
            m.Invoke(b, null);
            var times = new List<double>();
            var cpu = new List<double>();
            var proc = Process.GetCurrentProcess();
            for (int i = 0; i < Runs; i++)
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
            Console.WriteLine($"{m.Name,-24} wall median {times[Runs / 2],8:0.0} ms  min {times[0],8:0.0} ms  cpu median {cpu[Runs / 2],8:0.0} ms");
        }
    }
}

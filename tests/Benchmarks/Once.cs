using System.Diagnostics;
using System.Globalization;

namespace SegPlugins.Benchmarks;

/// <summary>
/// Peak memory of one call: <c>dotnet run -c Release -- once ClassName MethodName</c> sets the class up, calls the
/// benchmark once in this fresh process and prints its wall and CPU time and the process's peak working set (which
/// BenchmarkDotNet's allocation counts do not show: it includes what the GC has not yet returned). Run it several
/// times, alternating the builds being compared.
/// </summary>
internal static class Once
{
    public static void Run(string[] args)
    {
        if (args.Length != 2) throw new ArgumentException("usage: once ClassName MethodName");
        var type = typeof(Once).Assembly.GetType("SegPlugins.Benchmarks." + args[0]) ?? throw new ArgumentException($"no benchmark class {args[0]}");
        var method = type.GetMethod(args[1]) ?? throw new ArgumentException($"{args[0]} has no method {args[1]}");
        var b = Activator.CreateInstance(type)!;
        type.GetMethod("Setup")!.Invoke(b, null);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var proc = Process.GetCurrentProcess();
        proc.Refresh();
        long setupPeak = proc.PeakWorkingSet64;
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        method.Invoke(b, null);
        sw.Stop();
        proc.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{args[0]}.{args[1]}: wall {sw.Elapsed.TotalMilliseconds:0} ms, cpu {(proc.TotalProcessorTime - cpu0).TotalMilliseconds:0} ms, peak working set {proc.PeakWorkingSet64 / 1048576.0:0} MB (after setup {setupPeak / 1048576.0:0} MB)"));
        type.GetMethod("Cleanup")?.Invoke(b, null);
    }
}

using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace SegPlugins.Benchmarks;

/// <summary>Developer shortcut: <c>dotnet run -c Release -- quick [name...]</c> runs each benchmark a few times and prints the median.</summary>
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
            var times = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                var sw = Stopwatch.StartNew();
                m.Invoke(b, null);
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            Console.WriteLine($"{m.Name,-24} median {times[2],8:0.0} ms  min {times[0],8:0.0} ms");
        }
    }
}

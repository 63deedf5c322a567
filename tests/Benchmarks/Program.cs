using BenchmarkDotNet.Running;

namespace SegPlugins.Benchmarks;

/// <summary>Run: dotnet run -c Release -- --job short --filter '*MaskBenchmarks*'</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick") { Quick.Run(args[1..]); return; }
        if (args.Length > 0 && args[0] == "once") { Once.Run(args[1..]); return; }
        if (args.Length > 0 && args[0] == "profile") { MatteBenchmarks.Profile(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3, args.Length > 2 ? args[2..] : []); return; }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}

using BenchmarkDotNet.Attributes;
using SegPlugins.Core.Imaging;
using SegPlugins.Core.Masks;
using SegPlugins.Core.Refinement.Matting;

namespace SegPlugins.Benchmarks;

/// <summary>
/// Soft edges for a 12 MP (4000x3000) selection: the lobed blob of <see cref="MaskBenchmarks"/> composited with a
/// 12 px soft edge from a textured foreground over a textured background; the selection is the blob, the model's
/// logits +-6. Goal (2 cores): the whole matte (trimap, alpha, foreground colours) in 2 s with peak memory under 1 GB.
/// Run: dotnet run -c Release -- --job short --filter '*MatteBenchmarks*'; peak memory of one matte in a fresh process:
/// dotnet run -c Release -- once MatteBenchmarks MatteFromSelection
/// </summary>
[MemoryDiagnoser]
public class MatteBenchmarks
{
    private const int W = 4000, H = 3000;
    private BgraImage _image = null!;
    private Mask _selection = null!;
    private LogitMap _logits = null!;
    private Trimap _trimap = null!;

    [GlobalSetup]
    public void Setup()
    {
        var blob = MaskBenchmarks.Blob(W, H, 0);
        var alpha = blob.Feather(12);
        _image = new BgraImage(W, H);
        var rng = new Random(7);
        var noise = new byte[W * 4];
        for (int y = 0; y < H; y++)
        {
            rng.NextBytes(noise);
            var row = _image.Row(y);
            var a = alpha.Row(y);
            for (int x = 0; x < W; x++)
            {
                int f = a[x];
                int fb = 40 + (noise[4 * x] & 31), fg = 90 + (noise[4 * x + 1] & 31), fr = 160 + ((x + y) & 31);
                int bb = 200 - (y >> 5), bg = 120 + (x >> 6), br = 30 + (noise[4 * x + 2] & 15);
                row[4 * x] = (byte)((f * fb + (255 - f) * bb + 127) / 255);
                row[4 * x + 1] = (byte)((f * fg + (255 - f) * bg + 127) / 255);
                row[4 * x + 2] = (byte)((f * fr + (255 - f) * br + 127) / 255);
                row[4 * x + 3] = 255;
            }
        }
        _selection = blob;
        _logits = new LogitMap(W, H);
        for (int i = 0; i < _logits.Data.Length; i++) _logits.Data[i] = blob.Data[i] != 0 ? 6f : -6f;
        _trimap = SelectionTrimap.Build(_image, _logits, _selection);
    }

    /// <summary>What a host runs: trimap from the selection, alpha, foreground colours.</summary>
    [Benchmark] public Matte MatteFromSelection() => SelectionMatting.FromSelection(_image, _logits, _selection);

    /// <summary>The trimap alone.</summary>
    [Benchmark] public Trimap TrimapFromSelection() => SelectionTrimap.Build(_image, _logits, _selection);

    /// <summary>Alpha alone (no foreground colours) on the same trimap.</summary>
    [Benchmark] public float[] AlphaOnly() => MatteSolver.SolveAlpha(_image, _trimap);

    /// <summary>
    /// Wall time per phase of the host's matte (trimap, each level's colours, stencil and CG, foreground) in one process:
    /// <c>dotnet run -c Release -- profile [runs] [settle=0|1] [margin=M] [radius=R] [tol=T]</c> (options of
    /// <see cref="MatteOptions"/> for A/B comparisons; defaults otherwise). The first run includes the JIT.
    /// </summary>
    public static void Profile(int runs, string[] options)
    {
        var o = MatteOptions.Default;
        foreach (var kv in options)
        {
            var p = kv.Split('=', 2);
            double v = p.Length == 2 ? double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture) : throw new ArgumentException($"expected key=value, got '{kv}'");
            o = p[0] switch
            {
                "settle" => o with { SettleSaturated = v != 0 },
                "margin" => o with { SaturationMargin = v },
                "radius" => o with { SaturationRadius = (int)v },
                "tol" => o with { Tolerance = v },
                _ => throw new ArgumentException($"unknown profile option '{p[0]}' (settle, margin, radius, tol)"),
            };
        }
        var b = new MatteBenchmarks();
        b.Setup();
        for (int run = 0; run < runs; run++)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var cpu0 = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
            var trimap = SelectionTrimap.Build(b._image, b._logits, b._selection);
            double trimapMs = sw.Elapsed.TotalMilliseconds;
            double trimapCpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - cpu0;
            var phases = new SegPlugins.Core.Refinement.Matting.Internal.MattePhases();
            MatteSolver.Solve(b._image, trimap, out _, phases, o);
            double cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - cpu0;
            Console.WriteLine(FormattableString.Invariant($"run {run + 1}: wall {sw.Elapsed.TotalMilliseconds:0} ms, cpu {cpu:0} ms (phase: wall, cpu ms)"));
            Console.WriteLine(FormattableString.Invariant($"  {"trimap",-44} {trimapMs,7:0} {trimapCpu,7:0}"));
            foreach (var (phase, ms, phaseCpu) in phases.Times) Console.WriteLine(FormattableString.Invariant($"  {phase,-44} {ms,7:0} {phaseCpu,7:0}"));
        }
    }
}

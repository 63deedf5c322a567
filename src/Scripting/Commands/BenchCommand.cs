using SegPlugins.Core;
using SegPlugins.Scripting.Bench;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug bench</c>: medians of repeated engine runs, in one process so ratios are comparable.</summary>
public static class BenchCommand
{
    public const string Usage = """
        segplug bench [--model ID | --encoder E --decoder D] [--image IMG] [--repeat N] [--json [OUT.json]]
          Medians of N runs (default 7) of the encoder and of clicks at 1 MP and 12 MP; segment-everything at 1 MP
          (16 points per side, at most 3 runs; --no-everything skips it); ort_* keys: the same runs on ONNX Runtime alone.
        segplug bench long-run [--images N] [--recipe R.csx] [--jobs N] [--every N] [--size WxH] [--csv OUT.csv]
          Runs N generated, all-different images (default 1000) through a recipe (default: a u2netp cut-out) and
          samples working set and managed heap every --every images; prints the curve and its slope.
        """;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        if (argv.Length > 0 && argv[0] == "long-run") return await LongRunBench.RunAsync(argv[1..], stdout, stderr, ct);
        var args = new ArgReader(argv, new HashSet<string> { "--json", "--no-everything" });
        var model = ModelArgs.Read(args);
        string image = args.Get("--image") ?? DefaultSample();
        int repeat = args.GetInt("--repeat", 7, 1, 1000);
        bool json = args.Flag("--json");
        bool everything = !args.Flag("--no-everything");
        string? jsonOut = args.Positional.Count > 0 ? args.Positional[0] : null;
        args.RejectUnknown();

        return await EngineBench.RunAsync(new EngineBench.Settings(model, image, repeat, json, everything, jsonOut), stdout, stderr, ct);
    }

    internal static string DefaultSample()
    {
        foreach (var dir in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "samples", "chelsea.png");
                if (File.Exists(p)) return p;
            }
        }
        throw new SegArgumentException("--image", "no image given and samples/chelsea.png was not found");
    }
}

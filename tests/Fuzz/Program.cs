using SegPlugins.Fuzz;
using SharpFuzz;

// segfuzz TARGET [FILE...]: without files, serve afl-fuzz through SharpFuzz; with files, run each once (triage).
if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
{
    Console.Error.WriteLine($"usage: segfuzz TARGET [FILE...]   TARGET is one of {string.Join(", ", FuzzTargets.Names)}");
    return 2;
}
var body = FuzzTargets.Get(args[0]);
if (args.Length > 1)
{
    foreach (var file in args[1..])
    {
        FuzzTargets.Outcome = outcome => Console.WriteLine($"{Path.GetFileName(file)}: {outcome}");
        body(File.ReadAllBytes(file));
    }
    return 0;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var ms = new MemoryStream();
    stream.CopyTo(ms);
    body(ms.ToArray());
});
return 0;

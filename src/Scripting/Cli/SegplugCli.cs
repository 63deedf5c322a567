using System.CommandLine;
using System.CommandLine.Invocation;
using SegPlugins.Core;
using SegPlugins.Scripting.Commands;

namespace SegPlugins.Scripting.Cli;

/// <summary>Where a command writes: stdout for results, stderr for progress, notices and errors.</summary>
public sealed record CommandIO(TextWriter Out, TextWriter Err)
{
    public static CommandIO Of(ParseResult p) => new(p.InvocationConfiguration.Output, p.InvocationConfiguration.Error);
}

/// <summary>
/// The <c>segplug</c> command tree and how it runs. Each command lives in one file under Commands/ with a
/// <c>Create()</c> that declares its options and maps the parse result to an options record for its handler; to add a
/// command, add its <c>Create()</c> to <see cref="Commands"/>.
/// Exit codes: 0 done, 1 a runtime failure (a bad file, a model, some inputs of a batch failed), 2 a usage error
/// (unknown or malformed option, a value out of range: the command's usage is printed), 130 cancelled (Ctrl+C).
/// </summary>
public static class SegplugCli
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;

    /// <summary>Every top-level command, in the order help lists them.</summary>
    public static IEnumerable<Command> Commands()
    {
        yield return SelectCommand.Create();
        yield return SubjectCommand.Create();
        yield return EverythingCommand.Create();
        yield return MaskCommand.Create();
        yield return CutoutCommand.Create();
        yield return RunCommand.Create();
        yield return EvalCommand.Create();
        yield return ModelsCommand.Create();
        yield return BenchCommand.Create();
        yield return RecipeBenchCommand.Create();
        yield return Serve.ServeCommand.Create();
        yield return CompletionsCommand.Create();
    }

    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("segplug: Segment Anything selection for image batches and the shell.");
        foreach (var c in Commands()) root.Subcommands.Add(c);
        // segplug's own version, also when run in another process (tests) whose entry assembly is not segplug.
        foreach (var v in root.Options.OfType<VersionOption>()) v.Action = new VersionAction();
        AddHelpSections(root);
        root.Subcommands.Add(HelpCommand(root));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var root = CreateRoot();
        var parse = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Program handles Ctrl+C: the first cancels the token, a second ends the process
        };
        if (parse.Action is ParseErrorAction) return UsageError(parse, stderr);
        try
        {
            return await parse.InvokeAsync(config, ct).ConfigureAwait(false);
        }
        catch (SegArgumentException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            WriteUsage(parse.CommandResult.Command, stderr);
            return ExitUsage;
        }
        catch (SegException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitFailure;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stderr.WriteLine("cancelled");
            return ExitCancelled;
        }
    }

    /// <summary>Prints each parse error as <c>error: ...</c>, the library's suggestions for misspelt names, and the command's usage.</summary>
    public static int UsageError(ParseResult parse, TextWriter stderr)
    {
        foreach (var e in parse.Errors) stderr.WriteLine($"error: {e.Message}");
        // Typo suggestions ("Did you mean ...") come from the library's own parse-error action; its copy of the
        // error lines is dropped since they were printed above, and its full help is replaced by the usage lines.
        if (parse.Action is ParseErrorAction action)
        {
            action.ShowHelp = false;
            action.ShowTypoCorrections = true;
            var buffer = new StringWriter();
            parse.Invoke(new InvocationConfiguration { Output = buffer, Error = buffer });
            var errors = parse.Errors.Select(e => e.Message).ToHashSet(StringComparer.Ordinal);
            foreach (var line in buffer.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (!errors.Contains(line)) stderr.WriteLine(line);
        }
        WriteUsage(parse.CommandResult.Command, stderr);
        return ExitUsage;
    }

    /// <summary>The "Usage:" lines of a command's help, and where to find the rest.</summary>
    public static void WriteUsage(Command command, TextWriter writer)
    {
        var help = new StringWriter();
        var path = new List<string>();
        Command root = command;
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            root = c;
            if (c.Parents.Any()) path.Insert(0, c.Name);
        }
        root.Parse([.. path, "--help"]).Invoke(new InvocationConfiguration { Output = help, Error = help });
        var lines = help.ToString().Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == "Usage:");
        writer.WriteLine();
        if (start >= 0)
            for (int i = start; i < lines.Length && lines[i].Trim().Length > 0; i++) writer.WriteLine(lines[i].TrimEnd());
        writer.WriteLine($"Run '{CommandPath(command)} --help' for every option.");
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Insert(0, c is RootCommand ? "segplug" : c.Name);
        return string.Join(' ', names);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Command, Action<ParseResult, TextWriter>> HelpSections = new();

    /// <summary>Adds a section that the command's help prints after the generated one (e.g. a recipe's own arguments).</summary>
    public static void AddHelpSection(Command command, Action<ParseResult, TextWriter> section) => HelpSections.AddOrUpdate(command, section);

    /// <summary>Makes the root's help option print the sections added with <see cref="AddHelpSection"/>.</summary>
    public static void AddHelpSections(RootCommand root)
    {
        foreach (var h in root.Options.OfType<System.CommandLine.Help.HelpOption>())
            if (h.Action is SynchronousCommandLineAction inner and not HelpWithSections) h.Action = new HelpWithSections(inner);
    }

    private sealed class HelpWithSections(SynchronousCommandLineAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            if (code == 0 && HelpSections.TryGetValue(parseResult.CommandResult.Command, out var section))
                section(parseResult, parseResult.InvocationConfiguration.Output);
            return code;
        }
    }

    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var assembly = typeof(SegplugCli).Assembly;
            string version = assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            parseResult.InvocationConfiguration.Output.WriteLine(version);
            return 0;
        }
    }

    /// <summary><c>segplug help [COMMAND...]</c>: the help of a command (same as <c>segplug COMMAND --help</c>).</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var names = new Argument<string[]>("COMMAND") { Description = "the command (and subcommand) to describe", Arity = ArgumentArity.ZeroOrMore };
        var help = new Command("help", "show the help of a command") { names };
        help.SetAction(async (p, ct) =>
        {
            var target = root.Parse([.. p.GetValue(names) ?? [], "--help"]);
            if (target.Action is ParseErrorAction) return UsageError(target, p.InvocationConfiguration.Error);
            return await target.InvokeAsync(new InvocationConfiguration { Output = p.InvocationConfiguration.Output, Error = p.InvocationConfiguration.Error }, ct).ConfigureAwait(false);
        });
        return help;
    }
}

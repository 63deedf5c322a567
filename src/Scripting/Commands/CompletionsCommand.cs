using System.CommandLine;
using SegPlugins.Scripting.Cli;

namespace SegPlugins.Scripting.Commands;

/// <summary>
/// <c>segplug completions bash|zsh|pwsh</c>: a script that completes commands, options and their values by asking
/// segplug itself (the parser's <c>[suggest]</c> directive), so completions always match the installed version.
/// </summary>
public static class CompletionsCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or pwsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new Command("completions", """
            Print a shell completion script. bash: add 'source <(segplug completions bash)' to ~/.bashrc;
            zsh: 'source <(segplug completions zsh)' in ~/.zshrc; PowerShell: 'segplug completions pwsh | Out-String | Invoke-Expression' in $PROFILE.
            """)
        { shell };
        command.SetAction(p =>
        {
            CommandIO.Of(p).Out.Write(Script(p.GetRequiredValue(shell)));
            return 0;
        });
        return command;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => """
            _segplug_complete() {
              local IFS=$'\n'
              COMPREPLY=( $(compgen -W "$(segplug "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}") )
            }
            complete -o default -F _segplug_complete segplug

            """,
        "zsh" => """
            _segplug_complete() {
              local -a items
              items=("${(@f)$(segplug "[suggest:${#BUFFER}]" "$BUFFER" 2>/dev/null)}")
              compadd -- $items
            }
            compdef _segplug_complete segplug

            """,
        _ => """
            Register-ArgumentCompleter -Native -CommandName segplug -ScriptBlock {
              param($wordToComplete, $commandAst, $cursorPosition)
              segplug "[suggest:$cursorPosition]" "$commandAst" | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
              }
            }

            """,
    };
}

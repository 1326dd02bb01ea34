using System.CommandLine;
using System.CommandLine.Invocation;
using KataSharp.Cli.Commands;
using KataSharp.Linux;

namespace KataSharp.Cli.CommandLine;

/// <summary>
/// katasharp's command line (System.CommandLine: no reflection, NativeAOT-clean): the subcommands,
/// help for each (`katasharp install --help`), --version, and the exit statuses: 0 done, 1 the
/// command failed, 2 the command line is wrong (unknown command or option, missing value).
/// </summary>
public static class KatasharpCommandLine
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static RootCommand Create()
    {
        var root = new RootCommand("katasharp: host-side tooling around the KataSharp containerd shim (containerd-shim-katasharp-v2).")
        {
            CheckCommand.Create(),
            EnvCommand.Create(),
            InstallCommand.Create(),
            GcCommand.Create(),
            ExecCommand.Create(),
            MetricsCommand.Create(),
            MonitorCommand.Create(),
            RuntimeClassCommand.Create(),
            VersionCommand.Create(),
        };
        foreach (VersionOption version in root.Options.OfType<VersionOption>())
        {
            version.Action = new VersionCommand.Action();
        }
        root.Subcommands.Add(HelpCommand(root));
        return root;
    }

    public static int Invoke(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        RootCommand root = Create();
        // No response files: `--kernel @vmlinux` is a path, not a file of more arguments.
        ParseResult result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (args.Count == 0)
        {
            // As before: no command is a usage error, with the list of commands on stderr.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = error, Error = error });
            return UsageError;
        }
        if (result.Action is ParseErrorAction)
        {
            ReportUsageErrors(result, error);
            return UsageError;
        }
        try
        {
            return result.Invoke(invocation);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or LinuxException)
        {
            error.WriteLine($"katasharp: {e.Message}");
            return Failure;
        }
    }

    /// <summary>
    /// Each problem on its own line, naming what was wrong: an unknown command or option with the
    /// known ones (the library says only "Unrecognized command or argument"), then how to get help.
    /// </summary>
    private static void ReportUsageErrors(ParseResult result, TextWriter error)
    {
        Command command = result.CommandResult.Command;
        string name = command is RootCommand ? "katasharp" : $"katasharp {command.Name}";
        IReadOnlyList<string> unmatched = result.UnmatchedTokens;
        foreach (string token in unmatched)
        {
            error.WriteLine(command is RootCommand && !token.StartsWith('-')
                ? $"{name}: unknown command '{token}' (known: {string.Join(", ", command.Subcommands.Select(c => c.Name))})"
                : token.StartsWith('-')
                    ? $"{name}: unknown option '{token}' (known: {string.Join(", ", command.Options.Select(o => o.Name))})"
                    : $"{name}: unexpected argument '{token}'");
        }
        foreach (var parseError in result.Errors)
        {
            // The library's own lines for the tokens above, and "Required command was not provided" beside an unknown one.
            bool saidAlready = unmatched.Any(t => parseError.Message.Contains($"'{t}'", StringComparison.Ordinal))
                || (unmatched.Count > 0 && command is RootCommand);
            if (!saidAlready)
            {
                error.WriteLine($"{name}: {parseError.Message}");
            }
        }
        error.WriteLine($"run '{name} --help' for what it takes");
    }

    /// <summary>`katasharp help [COMMAND]`: the same text as --help (kept from the hand-written parser).</summary>
    private static Command HelpCommand(RootCommand root)
    {
        var name = new Argument<string?>("command") { Description = "the command to describe", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("help", "this help, or a command's: katasharp help install") { name };
        command.SetAction(result =>
        {
            string? target = result.GetValue(name);
            if (target is not null && !root.Subcommands.Any(c => c.Name == target))
            {
                result.InvocationConfiguration.Error.WriteLine($"katasharp help: no command '{target}' (known: {string.Join(", ", root.Subcommands.Select(c => c.Name))})");
                return UsageError;
            }
            ParseResult help = root.Parse(target is null ? ["--help"] : [target, "--help"]);
            return help.Invoke(new InvocationConfiguration { Output = result.InvocationConfiguration.Output, Error = result.InvocationConfiguration.Error });
        });
        return command;
    }
}

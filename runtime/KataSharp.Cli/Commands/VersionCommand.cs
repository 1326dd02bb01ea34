using System.CommandLine;
using System.CommandLine.Invocation;
using KataSharp.Linux;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp version` / `katasharp --version`: which build is installed, with its commit, for bug reports.</summary>
public static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "this build's version and git commit (also --version)");
        command.SetAction(result => Run(result.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(TextWriter output)
    {
        output.WriteLine(BuildVersion.Current.Line("katasharp"));
        return 0;
    }

    /// <summary>For the root's --version: the library's own prints the bare assembly version, without "katasharp" or the commit.</summary>
    public sealed class Action : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult) => Run(parseResult.InvocationConfiguration.Output);
    }
}

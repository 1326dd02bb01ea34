using KataSharp.Linux;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp version` / `katasharp --version`: which build is installed, with its commit, for bug reports.</summary>
public static class VersionCommand
{
    public static int Run(TextWriter output)
    {
        output.WriteLine(BuildVersion.Current.Line("katasharp"));
        return 0;
    }
}

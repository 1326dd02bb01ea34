using System.Text.RegularExpressions;
using KataSharp.Cli.Commands;
using KataSharp.Linux;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

public class VersionCommandTests
{
    [Fact]
    public void Prints_one_line_with_the_version_and_the_commit()
    {
        var output = new StringWriter();
        Assert.Equal(0, VersionCommand.Run(output));
        Assert.Equal($"katasharp {BuildVersion.Current.Version} (commit {BuildVersion.Current.Commit})\n", output.ToString());
        Assert.Matches(new Regex(@"^katasharp [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]{12}|unknown)\)\n$"), output.ToString());
    }
}

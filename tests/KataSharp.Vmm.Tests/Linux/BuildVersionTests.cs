using System.Reflection;
using System.Text.RegularExpressions;
using KataSharp.Linux;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

public class BuildVersionTests
{
    [Fact]
    public void This_build_has_a_version_and_a_short_commit_or_says_it_is_unknown()
    {
        BuildVersion build = BuildVersion.Current;
        Assert.Matches(new Regex(@"^[0-9]+\.[0-9]+\.[0-9]+$"), build.Version);
        Assert.Matches(new Regex(@"^([0-9a-f]{12}|unknown)$"), build.Commit);
    }

    [Fact]
    public void Every_assembly_gets_the_same_stamp_from_Directory_Build_props()
    {
        // This test assembly is built by the same Directory.Build.props as KataSharp.Linux.
        string? mine = typeof(BuildVersionTests).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.Equal(BuildVersion.Current, BuildVersion.Parse(mine));
    }

    [Theory]
    [InlineData("0.1.0+3264b90c1a2b", "0.1.0", "3264b90c1a2b")]
    [InlineData("0.1.0+unknown", "0.1.0", "unknown")]
    [InlineData("0.1.0", "0.1.0", "unknown")]
    [InlineData("0.1.0+", "0.1.0", "unknown")]
    [InlineData("1.2.3-rc.1+abc", "1.2.3-rc.1", "abc")]
    [InlineData("", "0.0.0", "unknown")]
    [InlineData(null, "0.0.0", "unknown")]
    public void Parses_the_informational_version(string? text, string version, string commit)
    {
        Assert.Equal(new BuildVersion(version, commit), BuildVersion.Parse(text));
    }

    [Fact]
    public void The_version_line_names_the_program_version_and_commit()
    {
        Assert.Equal("katasharp-vmm 0.1.0 (commit 3264b90c1a2b)", new BuildVersion("0.1.0", "3264b90c1a2b").Line("katasharp-vmm"));
    }
}

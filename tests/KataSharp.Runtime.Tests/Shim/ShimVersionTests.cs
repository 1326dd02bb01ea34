using System.Runtime.InteropServices;
using KataSharp.Linux;
using KataSharp.Shim.Verbs;
using Xunit;

namespace KataSharp.Runtime.Tests.Shim;

public class ShimVersionTests
{
    [Theory]
    [InlineData("-v")]
    [InlineData("--version")]
    [InlineData("-version")]
    public void The_version_flags_containerd_s_shims_take_are_recognised(string flag)
    {
        Assert.True(ShimArguments.Parse([flag]).Version);
    }

    [Fact]
    public void Prints_containerd_s_shim_version_block_with_dotnet_in_place_of_go()
    {
        // containerd 1.6/1.7 runtime/v2/shim/shim.go: the name, Version (two spaces: Println adds
        // one after "Version: "), Revision, the toolchain, then an empty line.
        string text = ShimVersion.Text("containerd-shim-katasharp-v2", new BuildVersion("0.1.0", "3264b90c1a2b"));
        Assert.Equal(
            "containerd-shim-katasharp-v2:\n" +
            "  Version:  0.1.0\n" +
            "  Revision: 3264b90c1a2b\n" +
            $"  .NET version: {RuntimeInformation.FrameworkDescription}\n" +
            "\n",
            text);
        Assert.StartsWith(".NET ", RuntimeInformation.FrameworkDescription);
    }
}

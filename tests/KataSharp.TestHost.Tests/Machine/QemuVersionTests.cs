using KataSharp.TestHost.Machine;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class QemuVersionTests
{
    [Theory]
    [InlineData("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright (c) 2003-2025 Fabrice Bellard", 10, 0)]
    [InlineData("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18+b3)\n", 7, 2)]
    [InlineData("QEMU emulator version 11.1.0\n", 11, 1)]
    public void TheVersionIsReadFromTheFirstLine(string output, int major, int minor) =>
        Assert.Equal(new Version(major, minor), QemuVersion.Parse(output));

    [Fact]
    public void QemuTenIsAccepted() => QemuVersion.Require("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)");

    [Fact]
    public void Qemu72IsRefusedNamingTheFix()
    {
        var e = Assert.Throws<TestHostException>(() => QemuVersion.Require("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u18+b3)"));
        Assert.Equal(TestHostError.InvalidConfiguration, e.Error);
        Assert.Contains("QEMU 7.2", e.Message);
        Assert.Contains("scripts/install-deps.sh testhost", e.Message);
    }

    [Fact]
    public void OutputWithoutAVersionIsRefused()
    {
        var e = Assert.Throws<TestHostException>(() => QemuVersion.Require("qemu: unknown option"));
        Assert.Contains("printed no version", e.Message);
    }
}

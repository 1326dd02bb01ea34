using KataSharp.Agent.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace KataSharp.Agent.Tests.Hosting;

public sealed class AgentOptionsTests
{
    [Fact]
    public void Defaults_AreTheGuestsVsockPortAndPaths()
    {
        AgentOptions o = AgentOptions.Parse([], "console=ttyS0 reboot=k");
        Assert.Equal(1024u, o.Listen.VsockPort);
        Assert.Equal("/run/katasharp", o.StateDir);
        Assert.Equal(LogLevel.Information, o.LogLevel);
        Assert.False(o.DebugConsole);
        Assert.True(o.LogToVsock);
    }

    [Fact]
    public void KernelCommandLine_SetsLogLevelAndDebugConsole_FlagsWin()
    {
        AgentOptions o = AgentOptions.Parse([], "quiet katasharp.log=debug katasharp.debug_console");
        Assert.Equal(LogLevel.Debug, o.LogLevel);
        Assert.True(o.DebugConsole);
        Assert.Equal(LogLevel.Warning, AgentOptions.Parse(["--log-level", "warn"], "katasharp.log=debug").LogLevel);
    }

    [Fact]
    public void UnixListen_TurnsOffVsockLogging()
    {
        AgentOptions o = AgentOptions.Parse(["--listen", "unix:/run/a.sock"], null);
        Assert.Equal("/run/a.sock", o.Listen.UnixPath);
        Assert.False(o.LogToVsock);
    }

    [Theory]
    [InlineData("--listen", "tcp:1.2.3.4:5", "neither vsock")]
    [InlineData("--listen", "unix:relative.sock", "neither vsock")]
    [InlineData("--log-level", "loud", "unknown log level")]
    [InlineData("--frobnicate", "x", "unknown option '--frobnicate'")]
    public void BadArguments_SayWhatIsWrong(string flag, string value, string message)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => AgentOptions.Parse([flag, value], null));
        Assert.Contains(message, e.Message);
    }
}

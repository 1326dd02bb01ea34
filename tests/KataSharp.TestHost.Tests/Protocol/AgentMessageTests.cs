using KataSharp.TestHost.Protocol;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

public sealed class AgentMessageTests
{
    [Fact]
    public void ParsesEveryMessageTheAgentSends()
    {
        Assert.Equal(new AgentMessage.Ready("6.1.0-56-amd64"), AgentMessage.Parse("READY 6.1.0-56-amd64"));
        Assert.Equal(new AgentMessage.Started("c12", 4242), AgentMessage.Parse("STARTED c12 4242"));
        Assert.Equal(new AgentMessage.Done("c12", 137), AgentMessage.Parse("DONE c12 137\r"));
        Assert.Equal(new AgentMessage.Refused("c3", "no-command-file"), AgentMessage.Parse("ERROR c3 no-command-file"));
        Assert.Equal(new AgentMessage.Refused("-", "unknown-verb-X extra"), AgentMessage.Parse("ERROR - unknown-verb-X extra"));
        Assert.Equal(new AgentMessage.Pong(41), AgentMessage.Parse("PONG 41"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("READY")]
    [InlineData("DONE c1")]
    [InlineData("DONE c1 -1")]
    [InlineData("DONE c1 x")]
    [InlineData("DONE ../etc 0")]
    [InlineData("STARTED c1 12 13")]
    [InlineData("PONG")]
    [InlineData("PONG -1")]
    [InlineData("PONG 1 2")]
    [InlineData("HELLO there")]
    [InlineData("ks-agent: a stray log line")]
    public void RejectsLinesOutsideTheProtocol(string line)
    {
        var e = Assert.Throws<TestHostException>(() => AgentMessage.Parse(line));
        Assert.Equal(TestHostError.ProtocolViolation, e.Error);
        Assert.Contains($"'{line}'", e.Message);
    }

    [Fact]
    public void HostMessagesCarryOnlyValidIds()
    {
        Assert.Equal("RUN c7", HostMessage.Run("c7"));
        Assert.Equal("KILL c7", HostMessage.Kill("c7"));
        Assert.Equal("PING 12", HostMessage.Ping(12));
        Assert.Throws<ArgumentOutOfRangeException>(() => HostMessage.Ping(-1));
        Assert.Throws<ArgumentException>(() => HostMessage.Run("a b"));
        Assert.Throws<ArgumentException>(() => HostMessage.Kill("../x"));
        Assert.Throws<ArgumentException>(() => HostMessage.Run(""));
    }

    [Fact]
    public void GeneratedIdsAreUniqueAndValid()
    {
        string[] ids = Enumerable.Range(0, 100).Select(_ => CommandId.Next()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(CommandId.IsValid(id), id));
    }
}

using System.Text;
using KataSharp.TestHost.Protocol;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

/// <summary>The connection over in-memory pipes, playing the agent's side by hand.</summary>
public sealed class AgentConnectionTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly AgentPipes pipes = new(" [console tail here]");
    private readonly AgentConnection connection;

    public AgentConnectionTests()
    {
        connection = pipes.Connection;
    }

    [Fact]
    public async Task RoutesDoneToTheWaiterOfThatIdEvenOutOfOrder()
    {
        Task<int> first = connection.Expect("c1");
        Task<int> second = connection.Expect("c2");
        AgentSays("READY 6.1.0", "STARTED c1 10", "STARTED c2 11", "DONE c2 5", "DONE c1 0");
        Assert.Equal("6.1.0", await connection.Ready.WaitAsync(Deadline));
        Assert.Equal(5, await second.WaitAsync(Deadline));
        Assert.Equal(0, await first.WaitAsync(Deadline));
    }

    [Fact]
    public async Task SendsOneLinePerMessage()
    {
        await connection.SendAsync(HostMessage.Run("c9"), CancellationToken.None);
        await connection.SendAsync(HostMessage.Shutdown, CancellationToken.None);
        using var reader = new StreamReader(pipes.FromHost, Encoding.ASCII);
        Assert.Equal("RUN c9", await reader.ReadLineAsync().WaitAsync(Deadline));
        Assert.Equal("SHUTDOWN", await reader.ReadLineAsync().WaitAsync(Deadline));
    }

    [Fact]
    public async Task SendingOnAChannelTheMachinesKillClosedIsADescribedLoss()
    {
        pipes.HostSideCloses(); // what killing a Direct-mode machine does to our end
        var e = await Assert.ThrowsAsync<TestHostException>(() => connection.SendAsync(HostMessage.Shutdown, CancellationToken.None));
        Assert.Equal(TestHostError.MachineExited, e.Error);
        Assert.Contains("cannot write to the test host's control channel", e.Message);
    }

    [Fact]
    public async Task RefusalFailsOnlyThatCommand()
    {
        Task<int> refused = connection.Expect("c1");
        Task<int> other = connection.Expect("c2");
        AgentSays("ERROR c1 no-command-file", "DONE c2 1");
        var e = await Assert.ThrowsAsync<TestHostException>(() => refused.WaitAsync(Deadline));
        Assert.Contains("no-command-file", e.Message);
        Assert.Equal(1, await other.WaitAsync(Deadline));
    }

    [Fact]
    public async Task ChannelEndFailsEveryWaiterWithTheDescribedLoss()
    {
        Task<int> waiting = connection.Expect("c1");
        pipes.AgentCloses();
        var e = await Assert.ThrowsAsync<TestHostException>(() => waiting.WaitAsync(Deadline));
        Assert.Equal(TestHostError.MachineExited, e.Error);
        Assert.Contains("[console tail here]", e.Message);
        await Assert.ThrowsAsync<TestHostException>(() => connection.Ready.WaitAsync(Deadline));
        var late = await Assert.ThrowsAsync<TestHostException>(() => connection.Expect("c2").WaitAsync(Deadline));
        Assert.Contains("closed", late.Message);
    }

    [Fact]
    public async Task GarbageBreaksTheChannel()
    {
        Task<int> waiting = connection.Expect("c1");
        AgentSays("this is not the protocol");
        var e = await Assert.ThrowsAsync<TestHostException>(() => waiting.WaitAsync(Deadline));
        Assert.Contains("this is not the protocol", e.Message);
    }

    public void Dispose() => pipes.Dispose();

    private void AgentSays(params string[] lines) => pipes.AgentSays(lines);
}

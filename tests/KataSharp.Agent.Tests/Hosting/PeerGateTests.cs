using System.Buffers;
using System.Collections.Concurrent;
using KataSharp.Agent.Hosting.Listeners;
using KataSharp.Agent.Tests.Support;
using KataSharp.Linux;
using KataSharp.Linux.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace KataSharp.Agent.Tests.Hosting;

/// <summary>
/// Only the host (vsock CID 2) may reach the agent's ports: the gate's decision, its bounded log, and the
/// listener closing what the gate refuses. No AF_VSOCK here: unix sockets stand in, with a peer lookup
/// that says which CID each connection "came from".
/// </summary>
public sealed class PeerGateTests : IDisposable
{
    private readonly string _dir = Path.Combine("/run", $"ks-gate-{Guid.NewGuid():N}"[..16]);

    public PeerGateTests() => Directory.CreateDirectory(_dir);

    [Theory]
    [InlineData(2u, true)]
    [InlineData(1u, false)] // VMADDR_CID_LOCAL: the loopback transport
    [InlineData(3u, false)] // the guest's own CID
    [InlineData(0u, false)]
    [InlineData(uint.MaxValue, false)]
    public void Admits_OnlyTheHostsCid(uint cid, bool admitted)
    {
        var gate = new PeerGate("vsock:1024", NullLogger.Instance, _ => new VsockAddress(cid, 50000));
        var (a, b) = StreamSocket.CreateUnixPair();
        using (a)
        using (b)
        {
            Assert.Equal(admitted, gate.Admit(a));
        }
        Assert.Equal(admitted ? 0 : 1, gate.Refused);
    }

    [Fact]
    public void Refuses_APeerThatIsNotOnVsock_OrCannotBeAsked()
    {
        var (a, b) = StreamSocket.CreateUnixPair();
        using (a)
        using (b)
        {
            // The real lookup on a unix socket: no vsock peer at all.
            Assert.False(new PeerGate("vsock:1024", NullLogger.Instance).Admit(a));
            Assert.False(new PeerGate("vsock:1024", NullLogger.Instance, _ => throw new LinuxException("getpeername", (int)Errno.ENOTCONN)).Admit(a));
        }
    }

    [Fact]
    public void RefusalsAreAllCounted_ButLoggedOnlyAtFirst_ThenEveryLogEveryth()
    {
        var log = new CountingLogger();
        var gate = new PeerGate("vsock:1024", log, _ => new VsockAddress(3, 1));
        var (a, b) = StreamSocket.CreateUnixPair();
        using (a)
        using (b)
        {
            int attempts = PeerGate.LoggedIndividually + 2 * PeerGate.LogEvery + 5;
            for (int i = 0; i < attempts; i++)
            {
                Assert.False(gate.Admit(a));
            }
            Assert.Equal(attempts, gate.Refused);
        }
        Assert.Equal(PeerGate.LoggedIndividually + 2, log.Warnings.Count);
        Assert.Contains("vsock 3:1", log.Warnings[0]);
        Assert.Contains("only the host (vsock CID 2)", log.Warnings[0]);
        Assert.Contains($"{2 * PeerGate.LogEvery} refused so far", log.Warnings[^1]);
    }

    [Fact]
    public async Task Listener_ClosesRefusedPeersAtAccept_AndServesTheHost()
    {
        var cids = new ConcurrentQueue<uint>([3, 1, 2]);
        var gate = new PeerGate("test", NullLogger.Instance, _ => new VsockAddress(cids.TryDequeue(out uint cid) ? cid : 0, 1));
        string path = Path.Combine(_dir, "agent.sock");
        var contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), NullLogger.Instance);
        DescriptorListener listener = DescriptorListener.Bind(new AgentEndPoint(new ListenAddress(null, path)), contexts, NullLogger.Instance, gate);
        try
        {
            // Refused peers (CID 3, then CID 1) see their connection closed without a byte.
            for (int refused = 1; refused <= 2; refused++)
            {
                using StreamSocket peer = StreamSocket.ConnectUnix(path, nonBlocking: false);
                Assert.Equal(0, peer.Receive(new byte[16])); // end of stream: the agent closed it
                Assert.Equal(refused, gate.Refused);
            }

            // The host (CID 2) gets through to Kestrel.
            using StreamSocket host = StreamSocket.ConnectUnix(path, nonBlocking: false);
            ConnectionContext? accepted = await listener.AcceptAsync(Deadline.Token(30));
            Assert.NotNull(accepted);
            host.SendAll("ping"u8);
            ReadOnlySequence<byte> received = (await accepted!.Transport.Input.ReadAtLeastAsync(4, Deadline.Token(30))).Buffer;
            Assert.Equal("ping"u8.ToArray(), received.ToArray());
            Assert.Equal(2, gate.Refused);
            await accepted.DisposeAsync();
        }
        finally
        {
            await listener.UnbindAsync();
            await listener.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class CountingLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}

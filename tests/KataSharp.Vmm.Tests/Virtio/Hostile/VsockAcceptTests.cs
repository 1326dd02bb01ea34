using System.Net.Sockets;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Hostile;

/// <summary>Host clients connecting faster than the device handles them get their turn in slices.</summary>
public sealed class VsockAcceptTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void One_turn_accepts_a_bounded_number_of_host_clients()
    {
        string path = _files.PathOf("v.sock");
        // A manual loop: turns happen only when this thread asks, so one turn's work is visible.
        using var loop = EventLoop.CreateManual("accept-test", e => throw e);
        using var device = new VsockDevice(new VsockOptions(3, path), loop, logSink: _ => { });
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 3 * VsockLimits.AcceptsPerTurn; i++)
            {
                var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                client.Connect(new UnixDomainSocketEndPoint(path));
                clients.Add(client);
            }

            loop.RunOnce(0);
            Assert.Equal(VsockLimits.AcceptsPerTurn, Handshakes(device));

            loop.RunOnce(0); // the listener is still readable: the rest come in the next turns
            loop.RunOnce(0);
            Assert.Equal(3 * VsockLimits.AcceptsPerTurn, Handshakes(device));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static int Handshakes(VsockDevice device)
    {
        lock (device.Sync)
        {
            return device.Muxer.HandshakeCount;
        }
    }
}

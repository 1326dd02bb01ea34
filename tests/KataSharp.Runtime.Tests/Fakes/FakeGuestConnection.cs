using System.Net.Sockets;
using KataSharp.Linux.Sockets;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>
/// A guest vsock connection as the VMM's muxer hands one to the host (a unix socket pair): the host's stream, and the
/// guest's socket through which a test plays the agent and sees what the host sent or whether it closed.
/// </summary>
public static class FakeGuestConnection
{
    public static (Stream Host, Socket Guest) Open()
    {
        (StreamSocket near, StreamSocket far) = StreamSocket.CreateUnixPair(nonBlocking: false);
        return (new NetworkStream(near.ToDotNetSocket(), ownsSocket: true), far.ToDotNetSocket());
    }

    /// <summary>Everything <paramref name="socket"/> receives until its end of stream, which must come within
    /// <paramref name="patience"/> (else OperationCanceledException).</summary>
    public static async Task<byte[]> ReceiveUntilEndAsync(Socket socket, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        var received = new MemoryStream();
        byte[] buffer = new byte[256];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, n);
        }
        return received.ToArray();
    }
}

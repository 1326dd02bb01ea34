using System.Net.Sockets;
using System.Text;

namespace KataSharp.Cli.DebugShell;

/// <summary>
/// A connection to a guest vsock port through the VMM's hybrid vsock unix socket: connect, write "CONNECT &lt;port&gt;\n",
/// read "OK &lt;host port&gt;\n"; from there the stream is the guest port's. The reply is read byte by byte (what follows
/// it is the guest's) and at most <see cref="MaxReplyBytes"/> of it, within <see cref="ReplyTimeout"/>.
/// </summary>
public static class HybridVsock
{
    public const int MaxReplyBytes = 64;
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="DebugConsoleRefusedException">No VMM listens, or it did not connect the port.</exception>
    public static async Task<Socket> ConnectAsync(string socketPath, uint port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ReplyTimeout);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), deadline.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused)
            {
                throw new DebugConsoleRefusedException($"the sandbox's VM is not running (nothing listens on {socketPath}: {e.Message})", e);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
            {
                throw new DebugConsoleRefusedException($"{socketPath}: {e.Message}: run katasharp exec as root", e);
            }
            await socket.SendAsync(Encoding.ASCII.GetBytes($"CONNECT {port}\n"), SocketFlags.None, deadline.Token);
            string reply = await ReadReplyAsync(socket, deadline.Token);
            if (!reply.StartsWith("OK ", StringComparison.Ordinal))
            {
                throw new DebugConsoleRefusedException($"the VMM did not connect guest port {port}: it answered '{reply}'");
            }
            return socket;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new DebugConsoleRefusedException($"{socketPath}: no answer to CONNECT {port} within {ReplyTimeout.TotalSeconds:0} s", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The reply line without its newline, escaped (the VMM relays the guest's refusal as a close).</summary>
    private static async Task<string> ReadReplyAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] line = new byte[MaxReplyBytes];
        int length = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(line.AsMemory(length, 1), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                // The VMM closes the connection when the guest resets it: nothing listens on that guest port.
                throw new DebugConsoleRefusedException("the guest refused the connection: its agent serves no debug console " +
                    "(the VM was not booted with katasharp.debug_console on its kernel command line)");
            }
            if (line[length] == (byte)'\n')
            {
                return Runtime.Logging.UntrustedText.Escape(line.AsSpan(0, length), MaxReplyBytes);
            }
            if (++length == MaxReplyBytes)
            {
                throw new DebugConsoleRefusedException($"the VMM's CONNECT reply has no newline in {MaxReplyBytes} bytes");
            }
        }
    }
}

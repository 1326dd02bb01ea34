using System.Buffers.Binary;
using KataSharp.Agent.Protocol;

namespace KataSharp.Shim.Backend.Agent;

/// <summary>
/// The host end of the agent's port-forwarding handshake (<see cref="AgentProtocolConstants.PortForwardPort"/>): the
/// TCP port out, one status byte back. The byte is the guest's word and nothing more: anything but "connected"
/// is a refusal, and waiting for it is bounded by the caller's token.
/// </summary>
internal static class GuestPortForward
{
    /// <summary>A stream to 127.0.0.1:<paramref name="port"/> in the guest, or null when the agent refused it;
    /// <paramref name="connectGuestPort"/> opens a guest vsock port (the VM's).</summary>
    public static async Task<Stream?> ConnectAsync(Func<uint, CancellationToken, Task<Stream>> connectGuestPort, ushort port, CancellationToken cancellationToken)
    {
        Stream stream = await connectGuestPort(AgentProtocolConstants.PortForwardPort, cancellationToken);
        try
        {
            byte[] request = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(request, port);
            await stream.WriteAsync(request, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            byte[] answer = new byte[1];
            if (await stream.ReadAsync(answer, cancellationToken) == 1 && answer[0] == AgentProtocolConstants.PortForwardConnected)
            {
                return stream;
            }
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
        await stream.DisposeAsync();
        return null;
    }
}

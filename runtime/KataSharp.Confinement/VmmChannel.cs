using System.Text.Json;
using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Linux.Sockets;

namespace KataSharp.Confinement;

/// <summary>The control channel's end in either process: <see cref="VmmMessage"/>s as JSON, one per SOCK_SEQPACKET message,
/// at most <see cref="VmmMessage.MaxBytes"/>. Sends are serialized by a lock (several shim threads change media).</summary>
public sealed class VmmChannel(SeqPacketSocket socket) : IDisposable
{
    private readonly Lock _sending = new();
    private readonly byte[] _buffer = new byte[VmmMessage.MaxBytes];

    public SeqPacketSocket Socket => socket;

    public void Send(VmmMessage message, FileDescriptor? descriptor = null)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(message, VmmJsonContext.Default.VmmMessage);
        lock (_sending)
        {
            socket.Send(json, descriptor);
        }
    }

    /// <summary>The next message, or null once the other end is closed. A message that is not a control message is an
    /// <see cref="InvalidDataException"/>. Only one thread receives.</summary>
    public VmmMessage? Receive(out FileDescriptor? descriptor)
    {
        int length = socket.Receive(_buffer, out descriptor);
        if (length == 0)
        {
            descriptor?.Dispose();
            descriptor = null;
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(_buffer.AsSpan(0, length), VmmJsonContext.Default.VmmMessage)
                ?? throw new InvalidDataException("a control message was JSON null");
        }
        catch (JsonException e)
        {
            descriptor?.Dispose();
            descriptor = null;
            throw new InvalidDataException($"a control message was not one: {e.Message}", e);
        }
    }

    public void Dispose() => socket.Dispose();
}

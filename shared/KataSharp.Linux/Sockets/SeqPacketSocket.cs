using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SocketCalls;

namespace KataSharp.Linux.Sockets;

/// <summary>
/// One end of an AF_UNIX SOCK_SEQPACKET pair: whole messages (no framing to get wrong), each optionally carrying one
/// descriptor (SCM_RIGHTS) that arrives with exactly that message. Blocking. A message longer than the reader's buffer
/// is an error rather than silently cut; descriptors beyond the one expected are closed on arrival, so a peer cannot
/// fill this process's descriptor table.
/// </summary>
public sealed unsafe class SeqPacketSocket : IDisposable
{
    private SeqPacketSocket(FileDescriptor descriptor) => Descriptor = descriptor;

    public FileDescriptor Descriptor { get; }

    /// <summary>A connected pair (socketpair(2)), both close-on-exec: the caller hands one end to a child explicitly.</summary>
    public static (SeqPacketSocket First, SeqPacketSocket Second) CreatePair()
    {
        int* fds = stackalloc int[2];
        Libc.Check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), "socketpair(AF_UNIX, SOCK_SEQPACKET)");
        return (new SeqPacketSocket(new FileDescriptor(fds[0])), new SeqPacketSocket(new FileDescriptor(fds[1])));
    }

    /// <summary>Takes over an inherited descriptor (a child's end of a pair).</summary>
    public static SeqPacketSocket FromDescriptor(FileDescriptor descriptor) => new(descriptor);

    /// <summary>Sends <paramref name="message"/> (not empty: an empty message reads as the end) with <paramref name="descriptor"/>
    /// attached when given. A peer that went away is an EPIPE error, never SIGPIPE.</summary>
    public void Send(ReadOnlySpan<byte> message, FileDescriptor? descriptor = null)
    {
        if (message.IsEmpty)
        {
            throw new ArgumentException("a message needs at least one byte", nameof(message));
        }
        byte* control = stackalloc byte[OneDescriptorControlSpace];
        new Span<byte>(control, OneDescriptorControlSpace).Clear();
        fixed (byte* data = message)
        {
            IoVec iov = new() { iov_base = data, iov_len = (nuint)message.Length };
            MsgHdr msg = new() { msg_iov = &iov, msg_iovlen = 1 };
            if (descriptor is not null)
            {
                CmsgHdr* header = (CmsgHdr*)control;
                header->cmsg_len = (nuint)(ControlDataOffset + sizeof(int));
                header->cmsg_level = SOL_SOCKET;
                header->cmsg_type = SCM_RIGHTS;
                *(int*)(control + ControlDataOffset) = descriptor.Value;
                msg.msg_control = control;
                msg.msg_controllen = OneDescriptorControlSpace;
            }
            while (sendmsg(Descriptor.Value, &msg, MSG_NOSIGNAL) < 0)
            {
                Libc.IsInterrupted("sendmsg(SOCK_SEQPACKET)");
            }
        }
    }

    /// <summary>Receives one message into <paramref name="buffer"/>: its length, 0 at the end (the peer closed its end),
    /// and the descriptor it carried, if any (close-on-exec, the caller's to dispose).</summary>
    public int Receive(Span<byte> buffer, out FileDescriptor? descriptor)
    {
        descriptor = null;
        // Room for a few descriptors: any beyond the first are closed below, not left in the table.
        const int ControlSpace = 64;
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        nint n;
        MsgHdr msg;
        fixed (byte* data = buffer)
        {
            IoVec iov = new() { iov_base = data, iov_len = (nuint)buffer.Length };
            msg = new() { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = ControlSpace };
            while ((n = recvmsg(Descriptor.Value, &msg, MSG_CMSG_CLOEXEC)) < 0)
            {
                Libc.IsInterrupted("recvmsg(SOCK_SEQPACKET)");
            }
        }
        var received = new List<FileDescriptor>();
        for (nuint offset = 0; offset + (nuint)ControlDataOffset <= msg.msg_controllen;)
        {
            CmsgHdr* header = (CmsgHdr*)(control + offset);
            if (header->cmsg_len < (nuint)ControlDataOffset || offset + header->cmsg_len > msg.msg_controllen)
            {
                break;
            }
            if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS)
            {
                int count = (int)((header->cmsg_len - (nuint)ControlDataOffset) / sizeof(int));
                for (int i = 0; i < count; i++)
                {
                    received.Add(new FileDescriptor(*(int*)((byte*)header + ControlDataOffset + i * sizeof(int))));
                }
            }
            offset += (header->cmsg_len + 7) & ~(nuint)7;
        }
        foreach (FileDescriptor extra in received.Skip(1))
        {
            extra.Dispose();
        }
        if ((msg.msg_flags & MSG_TRUNC) != 0 || (msg.msg_flags & MSG_CTRUNC) != 0)
        {
            received.FirstOrDefault()?.Dispose();
            throw new LinuxException("recvmsg(SOCK_SEQPACKET)", (int)Errno.EMSGSIZE,
                $"a message was longer than {buffer.Length} bytes or carried too many descriptors");
        }
        descriptor = received.FirstOrDefault();
        return (int)n;
    }

    public void Dispose() => Descriptor.Dispose();
}

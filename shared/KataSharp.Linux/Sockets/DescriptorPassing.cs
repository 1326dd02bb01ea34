using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SocketCalls;

namespace KataSharp.Linux.Sockets;

/// <summary>Receiving a file descriptor sent with SCM_RIGHTS over a unix socket (e.g. a pty master made
/// inside a container's /dev).</summary>
public static unsafe class DescriptorPassing
{
    /// <summary>Receives one message carrying one descriptor (close-on-exec); null at end of stream.
    /// Blocks on a blocking socket.</summary>
    public static FileDescriptor? Receive(StreamSocket socket)
    {
        byte data = 0;
        IoVec iov = new() { iov_base = &data, iov_len = 1 };
        byte* control = stackalloc byte[OneDescriptorControlSpace];
        new Span<byte>(control, OneDescriptorControlSpace).Clear();
        MsgHdr msg = new() { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = OneDescriptorControlSpace };
        nint n;
        while ((n = recvmsg(socket.Descriptor.Value, &msg, MSG_CMSG_CLOEXEC)) < 0)
        {
            Libc.IsInterrupted("recvmsg(SCM_RIGHTS)");
        }
        if (n == 0)
        {
            return null;
        }
        CmsgHdr* header = (CmsgHdr*)control;
        if (msg.msg_controllen < ControlDataOffset + sizeof(int) || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS)
        {
            throw new LinuxException("recvmsg(SCM_RIGHTS)", (int)Errno.EINVAL, "the message carried no descriptor");
        }
        return new FileDescriptor(*(int*)(control + ControlDataOffset));
    }
}

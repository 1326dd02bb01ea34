using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>sys/socket.h: the socket calls, with the x86-64 layouts of struct msghdr (56 bytes), iovec and cmsghdr (16-byte
/// header), and the CMSG_* arithmetic for one descriptor. C names, so the layout test compares each with the header.
/// socklen_t is uint, size_t nuint, ssize_t nint; an address is passed as the bytes of its own struct (SockaddrUn,
/// SockaddrVm, sockaddr_nl), which is what struct sockaddr* stands for in C.</summary>
internal static unsafe partial class SocketCalls
{
    private const string LibC = "libc.so.6";

    public const int AF_UNIX = 1;
    public const int AF_VSOCK = 40;

    public const int SOCK_STREAM = 1;
    public const int SOCK_RAW = 3;
    public const int SOCK_SEQPACKET = 5;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_NOSIGNAL = 0x4000;

    /// <summary>sizeof(struct sockaddr_storage): room for any family's address.</summary>
    public const int SockaddrStorageSize = 128;

    public const int SOL_SOCKET = 1;
    public const int SO_RCVTIMEO = 20;

    /// <summary>netinet/in.h: the protocol an sk_lookup program steers.</summary>
    public const int IPPROTO_TCP = 6;

    public const int SCM_RIGHTS = 1;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    /// <summary>CMSG_SPACE(sizeof(int)): the control buffer for one SCM_RIGHTS descriptor (header, data, padding).</summary>
    public const int OneDescriptorControlSpace = 24;

    /// <summary>CMSG_LEN(0): where CMSG_DATA starts after a cmsghdr.</summary>
    public const int ControlDataOffset = 16;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int bind(int fd, void* address, uint addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int listen(int fd, int backlog);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int connect(int fd, void* address, uint addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int accept4(int fd, void* address, uint* addressLength, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getpeername(int fd, void* address, uint* addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint valueLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint sendto(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recvfrom(int fd, void* buffer, nuint length, int flags, void* address, uint* addressLength);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint sendmsg(int fd, MsgHdr* msg, int flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public IoVec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }
}

using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>recvmsg(2) (sys/socket.h) with the x86-64 layouts of struct msghdr (56 bytes), iovec and cmsghdr (16-byte
/// header), and the CMSG_* arithmetic for one descriptor. C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class SocketCalls
{
    private const string LibC = "libc.so.6";

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
    public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);

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

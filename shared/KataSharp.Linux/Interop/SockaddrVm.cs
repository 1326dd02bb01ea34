using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// <c>struct sockaddr_vm</c> from linux/vm_sockets.h:
/// family u16, reserved u16, port u32 at offset 4, cid u32 at offset 8, flags u8, zero padding to 16 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct SockaddrVm
{
    public ushort svm_family;
    public ushort svm_reserved1;
    public uint svm_port;
    public uint svm_cid;
    public byte svm_flags;
}

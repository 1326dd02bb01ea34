using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// linux/openat2.h: <c>struct open_how</c> and the RESOLVE_* flags. glibc has no openat2 wrapper: the call goes through
/// syscall(2) with <see cref="SyscallNumbers.SYS_openat2"/>. C names, so the layout test compares each with the header.
/// </summary>
internal static class Openat2Calls
{
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    public const ulong RESOLVE_BENEATH = 0x08;
    public const ulong RESOLVE_IN_ROOT = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    public struct open_how
    {
        public ulong flags;
        public ulong mode;
        public ulong resolve;
    }
}

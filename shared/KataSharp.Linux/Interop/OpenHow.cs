using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary><c>struct open_how</c> of openat2(2) (linux/openat2.h): flags, mode, resolve, each u64.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenHow
{
    public ulong Flags;
    public ulong Mode;
    public ulong Resolve;
}

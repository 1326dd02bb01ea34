namespace KataSharp.Linux.Interop;

/// <summary>
/// The x86-64 numbers of the system calls glibc has no wrapper for, so they go through syscall(2). The only syscall
/// numbers in KataSharp: C names, so the layout test compares each with &lt;sys/syscall.h&gt;. A call glibc wraps is
/// imported by name instead (a number typed here would be wrong on another architecture and unchecked).
/// </summary>
internal static class SyscallNumbers
{
    /// <summary>bpf(2): glibc never wrapped it.</summary>
    public const int SYS_bpf = 321;

    /// <summary>openat2(2): glibc 2.36 has no wrapper.</summary>
    public const int SYS_openat2 = 437;

    /// <summary>pivot_root(2): glibc 2.36 has no wrapper.</summary>
    public const int SYS_pivot_root = 155;
}

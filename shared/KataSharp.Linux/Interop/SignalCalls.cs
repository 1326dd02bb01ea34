using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>signal.h: sending signals, dispositions (struct sigaction) and masks (sigset_t, glibc's 1024 bits in 16
/// words). C names, so the layout test compares each with the header.</summary>
internal static unsafe partial class SignalCalls
{
    private const string LibC = "libc.so.6";

    public const int SIG_BLOCK = 0;

    /// <summary>The handler values SIG_DFL and SIG_IGN (C casts 0 and 1 to a function pointer).</summary>
    public const int SIG_DFL = 0;
    public const int SIG_IGN = 1;

    /// <summary>sigset_t: glibc's is 1024 bits, the kernel's (x86-64) the first 64 of them, signal n at bit n-1 of
    /// word 0, which is how <see cref="Threading.LinuxThread.CurrentSignalMask"/> reads it.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SigSet
    {
        public fixed ulong __val[16];
    }

    /// <summary>struct sigaction (x86-64 glibc): sa_handler is the handler member of a union (with sa_sigaction), which
    /// is all these calls set or read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SigAction
    {
        public nint sa_handler;
        public SigSet sa_mask;
        public int sa_flags;
        public nint sa_restorer;
    }

    /// <summary>si_code of a SIGCHLD / waitid report.</summary>
    public const int CLD_EXITED = 1;
    public const int CLD_KILLED = 2;
    public const int CLD_DUMPED = 3;

    /// <summary>The part of siginfo_t (128 bytes) that waitid fills: si_code at 8, si_pid at 16, si_status at 24.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    public struct SigInfo
    {
        [FieldOffset(0)] public int si_signo;
        [FieldOffset(8)] public int si_code;
        [FieldOffset(16)] public int si_pid;
        [FieldOffset(20)] public uint si_uid;
        [FieldOffset(24)] public int si_status;
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    /// <summary>glibc 2.30+.</summary>
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int signal);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int sigaction(int signal, SigAction* action, SigAction* oldAction);

    // sigemptyset, sigfillset and sigaddset fail only for a bad signal number (or glibc's internal ones: EINVAL).
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int sigemptyset(SigSet* set);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int sigfillset(SigSet* set);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int sigaddset(SigSet* set, int signal);

    /// <summary>Returns an error number instead of setting errno.</summary>
    [LibraryImport(LibC)]
    public static partial int pthread_sigmask(int how, SigSet* set, SigSet* oldSet);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int sigtimedwait(SigSet* set, SigInfo* info, ClockCalls.Timespec* timeout);
}

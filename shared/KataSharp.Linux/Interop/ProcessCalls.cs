using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>Process calls: waitid (sys/wait.h), prctl (sys/prctl.h), posix_spawn (spawn.h). C names, so the layout test compares each with
/// the header.</summary>
internal static unsafe partial class ProcessCalls
{
    private const string LibC = "libc.so.6";

    public const int P_ALL = 0;
    public const int P_PID = 1;
    public const int WNOHANG = 1;
    public const int WEXITED = 4;
    public const int WNOWAIT = 0x01000000;

    public const int CLD_EXITED = 1;
    public const int CLD_KILLED = 2;
    public const int CLD_DUMPED = 3;

    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int PR_GET_CHILD_SUBREAPER = 37;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>posix_spawn_file_actions_t (glibc x86-64: 80 bytes), opaque to us: only its size and alignment matter,
    /// so the spawn functions get a buffer they may fill as they like. 8-byte words align it as C does (it holds pointers).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct FileActions
    {
        public fixed ulong opaque[10];
    }

    /// <summary>posix_spawnattr_t (glibc x86-64: 336 bytes, two sigset_t among them), opaque as <see cref="FileActions"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SpawnAttr
    {
        public fixed ulong opaque[42];
    }

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int waitid(int idtype, int id, SigInfo* infop, int options);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    // posix_spawn* return an error number instead of setting errno.
    [LibraryImport(LibC)]
    public static partial int posix_spawn(int* pid, byte* path, FileActions* fileActions, SpawnAttr* attr, byte** argv, byte** envp);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_init(FileActions* fileActions);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_destroy(FileActions* fileActions);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_adddup2(FileActions* fileActions, int fd, int newfd);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_init(SpawnAttr* attr);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_destroy(SpawnAttr* attr);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setflags(SpawnAttr* attr, short flags);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setsigmask(SpawnAttr* attr, SignalCalls.SigSet* sigmask);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setsigdefault(SpawnAttr* attr, SignalCalls.SigSet* sigdefault);

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
}

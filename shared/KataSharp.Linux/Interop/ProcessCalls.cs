using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>Process calls Tmds.LibC lacks: waitid (sys/wait.h), prctl (sys/prctl.h), posix_spawn (spawn.h).</summary>
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

    /// <summary>glibc x86-64: posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336; both are opaque to us.</summary>
    public const int FileActionsSize = 80;
    public const int SpawnAttrSize = 336;
    public const int SigsetSize = 128;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int waitid(int idtype, int id, SigInfo* infop, int options);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    // posix_spawn* return an error number instead of setting errno.
    [LibraryImport(LibC)]
    public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(LibC)]
    public static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newfd);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(LibC)]
    public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [LibraryImport(LibC)]
    public static partial int sigemptyset(void* set);

    [LibraryImport(LibC)]
    public static partial int sigfillset(void* set);

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

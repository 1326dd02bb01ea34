using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>spawn.h: posix_spawn and the attribute and file-action calls it takes. C names, so the layout test compares
/// each with the header.</summary>
internal static unsafe partial class SpawnCalls
{
    private const string LibC = "libc.so.6";

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
}

using System.Runtime.InteropServices;

namespace KataSharp.Linux.Interop;

/// <summary>
/// unistd.h: descriptor I/O, ids, pipes, ownership and links, and syscall(2) for the calls glibc does not wrap. C names and
/// C types (ssize_t is nint, size_t nuint, off_t long, uid_t/gid_t uint), so the layout test compares each constant with
/// the header.
/// </summary>
internal static unsafe partial class UnistdCalls
{
    private const string LibC = "libc.so.6";

    public const int SEEK_END = 2;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint pread(int fd, void* buffer, nuint count, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial nint pwrite(int fd, void* buffer, nuint count, long offset);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int dup2(int oldfd, int newfd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fdatasync(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    // getpid, gettid (glibc 2.30+), geteuid and getegid cannot fail.
    [LibraryImport(LibC)]
    public static partial int getpid();

    [LibraryImport(LibC)]
    public static partial int gettid();

    [LibraryImport(LibC)]
    public static partial uint geteuid();

    [LibraryImport(LibC)]
    public static partial uint getegid();

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setsid();

    // setresuid/setresgid: glibc applies them to every thread of the process (its setxid broadcast), which is what a
    // process dropping root needs; the raw system calls would change the calling thread only.
    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setresuid(uint ruid, uint euid, uint suid);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int setresgid(uint rgid, uint egid, uint sgid);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int getresuid(uint* ruid, uint* euid, uint* suid);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int chdir(byte* path);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fchdir(int fd);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int fchownat(int dirfd, byte* path, uint owner, uint group, int flags);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int symlinkat(byte* target, int newdirfd, byte* linkpath);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int unlinkat(int dirfd, byte* path, int flags);

    // syscall(2) is variadic; .NET cannot call C varargs, but on x86-64 integer arguments of a variadic call travel in the
    // same registers as fixed ones, so one fixed-arity import per argument count the callers need is the same call.
    // The number always comes from SyscallNumbers (a source-scan test checks every call).
    [LibraryImport(LibC, SetLastError = true)]
    public static partial long syscall(long number, long arg1, long arg2, long arg3);

    [LibraryImport(LibC, SetLastError = true)]
    public static partial long syscall(long number, long arg1, long arg2, long arg3, long arg4);
}

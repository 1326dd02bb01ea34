using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FileLockCalls;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.StatCalls;

namespace KataSharp.Linux.Files;

/// <summary>
/// A flock(2) on a file, held until disposed. Exclusive locks serialize work between processes
/// (e.g. two shims building the same cached image); shared locks mark a file as in use so a
/// cleaner that needs the exclusive lock leaves it alone. The kernel drops a lock if its holder dies.
/// Every lock taken here is on the inode the path still names when the lock is granted: a file
/// unlinked (by a cleaner) while we waited would otherwise give a lock nobody else can see.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileDescriptor _fd;

    private FileLock(FileDescriptor fd) => _fd = fd;

    /// <summary>Creates the lock file if needed and blocks until the exclusive lock is ours.</summary>
    public static FileLock Acquire(string path)
    {
        while (true)
        {
            FileLock? held = Lock(path, O_RDWR | O_CREAT, LOCK_EX);
            if (held is not null)
            {
                return held;
            }
            // The file was removed while we waited: lock the one that replaces it.
        }
    }

    /// <summary>
    /// Blocks until a shared lock on the existing file <paramref name="path"/> is ours; null when the
    /// file does not exist (or was removed while we waited).
    /// </summary>
    public static FileLock? AcquireShared(string path) => Lock(path, O_RDONLY, LOCK_SH);

    /// <summary>
    /// The exclusive lock on <paramref name="path"/> if nobody holds any lock on it right now; null
    /// when someone does, or the file does not exist and <paramref name="create"/> is false. Never blocks.
    /// </summary>
    public static FileLock? TryAcquire(string path, bool create = false) =>
        Lock(path, create ? O_RDWR | O_CREAT : O_RDONLY, LOCK_EX | LOCK_NB);

    public void Dispose() => _fd.Dispose();

    private static FileLock? Lock(string path, int openFlags, int operation)
    {
        FileDescriptor fd;
        try
        {
            fd = FileDescriptor.Open(path, openFlags, 0x1a4 /* 0644 */);
        }
        catch (LinuxException e) when (e.Errno == Errno.ENOENT && (openFlags & O_CREAT) == 0)
        {
            return null;
        }
        try
        {
            while (flock(fd.Value, operation) < 0)
            {
                if ((operation & LOCK_NB) != 0 && Libc.LastErrno == (int)Errno.EAGAIN /* EWOULDBLOCK */)
                {
                    fd.Dispose();
                    return null;
                }
                Libc.IsInterrupted($"flock({path})");
            }
            if (!StillNamedBy(fd, path))
            {
                fd.Dispose();
                return null;
            }
            return new FileLock(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="path"/> still names the inode <paramref name="fd"/> has open.</summary>
    private static unsafe bool StillNamedBy(FileDescriptor fd, string path)
    {
        Stat opened;
        Libc.Check(fstat(fd.Value, &opened), $"fstat({path})");
        FileIdentity named;
        try
        {
            named = FileIdentity.Of(path);
        }
        catch (LinuxException e) when (e.Errno == Errno.ENOENT)
        {
            return false;
        }
        return named.Device == opened.st_dev && named.Inode == opened.st_ino;
    }
}

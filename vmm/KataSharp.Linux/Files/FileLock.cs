using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FileLockCalls;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Files;

/// <summary>
/// An exclusive flock(2) on a lock file, held until disposed. Serializes work between processes
/// (e.g. two shims building the same cached image); the kernel drops it if the holder dies.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileDescriptor _fd;

    private FileLock(FileDescriptor fd) => _fd = fd;

    /// <summary>Creates the lock file if needed and blocks until the lock is ours.</summary>
    public static FileLock Acquire(string path)
    {
        var fd = FileDescriptor.Open(path, O_RDWR | O_CREAT, 0x1a4 /* 0644 */);
        try
        {
            while (flock(fd.Value, LOCK_EX) < 0)
            {
                Libc.IsInterrupted($"flock({path}, LOCK_EX)");
            }
            return new FileLock(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public void Dispose() => _fd.Dispose();
}

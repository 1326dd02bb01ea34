using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.FcntlCalls;
using static KataSharp.Linux.Interop.MmanCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Memory;

/// <summary>Anonymous shared memory (memfd_create): the backing of guest RAM, and sealed copies of executables.</summary>
public static unsafe class MemFd
{
    public static FileDescriptor Create(string name, ulong size)
    {
        byte[] cname = Libc.NullTerminated(name);
        int fd;
        fixed (byte* p = cname)
        {
            fd = Libc.Check(memfd_create(p, MemFdCalls.MFD_CLOEXEC), $"memfd_create({name})");
        }
        var descriptor = new FileDescriptor(fd);
        if (ftruncate(fd, (long)size) < 0)
        {
            int errno = Libc.LastErrno;
            descriptor.Dispose();
            throw new LinuxException($"ftruncate(memfd {name}, {size})", errno);
        }
        return descriptor;
    }

    /// <summary>
    /// A close-on-exec memfd holding <paramref name="content"/>, sealed so that nobody, root included,
    /// can change it again (write, shrink, grow, and the seals themselves): what an executable must be when
    /// a process running it could be reached through /proc/PID/exe (the CVE-2019-5736 class).
    /// </summary>
    public static FileDescriptor CreateSealedCopy(string name, ReadOnlySpan<byte> content)
    {
        byte[] cname = Libc.NullTerminated(name);
        int fd;
        fixed (byte* p = cname)
        {
            fd = memfd_create(p, MemFdCalls.MFD_CLOEXEC | MemFdCalls.MFD_ALLOW_SEALING | MemFdCalls.MFD_EXEC);
            if (fd < 0 && Libc.LastErrno == (int)Errno.EINVAL)
            {
                fd = memfd_create(p, MemFdCalls.MFD_CLOEXEC | MemFdCalls.MFD_ALLOW_SEALING); // a kernel before 6.3: no MFD_EXEC, memfds are executable
            }
            Libc.Check(fd, $"memfd_create({name})");
        }
        var descriptor = new FileDescriptor(fd);
        try
        {
            descriptor.WriteAllAt(content, 0);
            Libc.Check(fcntl(fd, F_ADD_SEALS, (long)(MemFdSeals.Write | MemFdSeals.Shrink | MemFdSeals.Grow | MemFdSeals.Seal)), $"fcntl(memfd {name}, F_ADD_SEALS)");
            return descriptor;
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>The seals of a memfd (fcntl F_GET_SEALS); a file that is no memfd has none and throws EINVAL.</summary>
    public static MemFdSeals Seals(FileDescriptor fd) => (MemFdSeals)Libc.Check(fcntl(fd.Value, F_GET_SEALS, 0), "fcntl(F_GET_SEALS)");
}

using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Memory;

/// <summary>Anonymous shared memory (memfd_create) of a fixed size: the backing of guest RAM.</summary>
public static unsafe class MemFd
{
    private const uint MfdCloexec = 0x0001;

    public static FileDescriptor Create(string name, ulong size)
    {
        byte[] cname = Libc.NullTerminated(name);
        int fd;
        fixed (byte* p = cname)
        {
            fd = Libc.Check(memfd_create(p, MfdCloexec), $"memfd_create({name})");
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
}

using KataSharp.Linux.Interop;

namespace KataSharp.Linux.Files;

/// <summary>
/// The single place ioctl(2) is called. Callers pass a request number from
/// <see cref="IoctlNumber"/> and the request's name, which ends up in the exception.
/// </summary>
public static unsafe class Ioctl
{
    /// <summary>ioctl with an integer (or no) argument; returns the non-negative result.</summary>
    public static int Invoke(FileDescriptor fd, uint request, ulong argument, string name)
    {
        while (true)
        {
            int rc = IoctlCalls.ioctl(fd.Value, request, (void*)argument);
            if (rc >= 0 || !Libc.IsInterrupted($"ioctl({name})"))
            {
                return rc;
            }
        }
    }

    /// <summary>ioctl whose argument is a pointer to a struct the kernel reads and/or writes.</summary>
    public static int Invoke<T>(FileDescriptor fd, uint request, ref T argument, string name) where T : unmanaged
    {
        fixed (T* p = &argument)
        {
            return Invoke(fd, request, (ulong)p, name);
        }
    }

    /// <summary>ioctl over a caller-laid-out buffer (structs with trailing flexible arrays).</summary>
    public static int Invoke(FileDescriptor fd, uint request, Span<byte> buffer, string name)
    {
        fixed (byte* p = buffer)
        {
            return Invoke(fd, request, (ulong)p, name);
        }
    }

    /// <summary>Like <see cref="Invoke(FileDescriptor, uint, ulong, string)"/> but returns -errno instead of throwing.</summary>
    public static int TryInvoke(FileDescriptor fd, uint request, ulong argument)
    {
        int rc = IoctlCalls.ioctl(fd.Value, request, (void*)argument);
        return rc >= 0 ? rc : -Libc.LastErrno;
    }
}

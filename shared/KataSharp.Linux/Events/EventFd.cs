using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Events;

/// <summary>An eventfd(2) counter: KVM's ioeventfd/irqfd currency and the event loop's wake-up.</summary>
public sealed unsafe class EventFd : IDisposable
{
    private EventFd(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    public static EventFd Create(bool nonBlocking = true)
    {
        int flags = EFD_CLOEXEC | (nonBlocking ? EFD_NONBLOCK : 0);
        return new EventFd(new FileDescriptor(Libc.Check(eventfd(0, flags), "eventfd")));
    }

    /// <summary>Adds <paramref name="value"/> to the counter, waking any reader.</summary>
    public void Signal(ulong value = 1)
    {
        ulong v = value;
        while (write(Descriptor.Value, &v, sizeof(ulong)) < 0)
        {
            int errno = Libc.LastErrno;
            if (errno == (int)Errno.EAGAIN)
            {
                return; // counter saturated: the reader is already due to wake up
            }
            if (errno != (int)Errno.EINTR)
            {
                throw new LinuxException("write(eventfd)", errno);
            }
        }
    }

    /// <summary>Reads and resets the counter; 0 when nothing was signalled (non-blocking mode).</summary>
    public ulong Drain()
    {
        ulong v = 0;
        while (read(Descriptor.Value, &v, sizeof(ulong)) < 0)
        {
            int errno = Libc.LastErrno;
            if (errno == (int)Errno.EAGAIN)
            {
                return 0;
            }
            if (errno != (int)Errno.EINTR)
            {
                throw new LinuxException("read(eventfd)", errno);
            }
        }
        return v;
    }

    public void Dispose() => Descriptor.Dispose();
}

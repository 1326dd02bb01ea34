using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.EventFdCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

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
        // EAGAIN (-1) means the counter is saturated: the reader is already due to wake up.
        while (Libc.RetryTransfer(write(Descriptor.Value, &v, sizeof(ulong)), "write(eventfd)", out _))
        {
        }
    }

    /// <summary>Reads and resets the counter; 0 when nothing was signalled (non-blocking mode).</summary>
    public ulong Drain()
    {
        ulong v = 0;
        int transferred;
        while (Libc.RetryTransfer(read(Descriptor.Value, &v, sizeof(ulong)), "read(eventfd)", out transferred))
        {
        }
        return transferred < 0 ? 0 : v;
    }

    public void Dispose() => Descriptor.Dispose();
}

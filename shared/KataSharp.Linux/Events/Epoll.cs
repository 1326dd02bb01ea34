using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.EpollCalls;

namespace KataSharp.Linux.Events;

/// <summary>An epoll instance. Each registration carries a caller-chosen 64-bit token.</summary>
public sealed unsafe class Epoll : IDisposable
{
    private Epoll(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    public static Epoll Create() =>
        new(new FileDescriptor(Libc.Check(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")));

    public void Add(int fd, EpollEvents events, ulong token) => Control(EPOLL_CTL_ADD, fd, events, token, "EPOLL_CTL_ADD");

    public void Modify(int fd, EpollEvents events, ulong token) => Control(EPOLL_CTL_MOD, fd, events, token, "EPOLL_CTL_MOD");

    public void Remove(int fd) => Control(EPOLL_CTL_DEL, fd, EpollEvents.None, 0, "EPOLL_CTL_DEL");

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1 = forever); fills tokens and events, returns the count.
    /// EINTR returns 0. Blocks the calling thread.</summary>
    public int Wait(Span<EpollReady> ready, int timeoutMs)
    {
        EpollEvent* events = stackalloc EpollEvent[ready.Length];
        int n = epoll_wait(Descriptor.Value, events, ready.Length, timeoutMs);
        if (n < 0)
        {
            Libc.IsInterrupted("epoll_wait"); // throws unless EINTR
            return 0;
        }
        for (int i = 0; i < n; i++)
        {
            ready[i] = new EpollReady(events[i].data, (EpollEvents)events[i].events);
        }
        return n;
    }

    private void Control(int op, int fd, EpollEvents events, ulong token, string name)
    {
        EpollEvent ev = new() { events = (uint)events, data = token };
        Libc.Check(epoll_ctl(Descriptor.Value, op, fd, &ev), $"epoll_ctl({name}, fd {fd})");
    }

    public void Dispose() => Descriptor.Dispose();
}

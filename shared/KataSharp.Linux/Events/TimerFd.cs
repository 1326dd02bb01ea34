using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace KataSharp.Linux.Events;

/// <summary>
/// A timerfd(2) on CLOCK_MONOTONIC: becomes readable when it expires, so timeouts join an epoll loop
/// like any other event source.
/// </summary>
public sealed unsafe class TimerFd : IDisposable
{
    // Tmds.LibC 0.5.0 has no timerfd bindings; x86-64 syscall numbers from asm/unistd_64.h.
    private const int SysTimerfdCreate = 283;
    private const int SysTimerfdSettime = 286;
    private const int ClockMonotonic = 1;

    private TimerFd(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    public static TimerFd Create()
    {
        int fd = (int)syscall(SysTimerfdCreate, ClockMonotonic, O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
        {
            throw new LinuxException("timerfd_create", Libc.LastErrno);
        }
        return new TimerFd(new FileDescriptor(fd));
    }

    /// <summary>Arms the timer to fire after <paramref name="delay"/> and then every <paramref name="interval"/>
    /// (<see cref="TimeSpan.Zero"/> = once). A zero delay disarms it.</summary>
    public void Set(TimeSpan delay, TimeSpan interval)
    {
        long* spec = stackalloc long[4];
        ToTimespec(interval, spec);
        ToTimespec(delay, spec + 2);
        if ((int)syscall(SysTimerfdSettime, Descriptor.Value, 0, (void*)spec, (void*)null) < 0)
        {
            throw new LinuxException("timerfd_settime", Libc.LastErrno);
        }
    }

    /// <summary>Reads and resets the expiry count; 0 when the timer has not fired.</summary>
    public ulong Drain()
    {
        ulong expirations = 0;
        while (read(Descriptor.Value, &expirations, sizeof(ulong)) < 0)
        {
            int errno = Libc.LastErrno;
            if (errno == (int)Errno.EAGAIN)
            {
                return 0;
            }
            if (errno != (int)Errno.EINTR)
            {
                throw new LinuxException("read(timerfd)", errno);
            }
        }
        return expirations;
    }

    public void Dispose() => Descriptor.Dispose();

    private static void ToTimespec(TimeSpan value, long* timespec)
    {
        long ticks = Math.Max(0, value.Ticks);
        timespec[0] = ticks / TimeSpan.TicksPerSecond;
        timespec[1] = ticks % TimeSpan.TicksPerSecond * 100;
    }
}

using KataSharp.Linux.Files;
using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.TimerFdCalls;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Events;

/// <summary>
/// A timerfd(2) on CLOCK_MONOTONIC: becomes readable when it expires, so timeouts join an epoll loop
/// like any other event source.
/// </summary>
public sealed unsafe class TimerFd : IDisposable
{
    private TimerFd(FileDescriptor fd) => Descriptor = fd;

    public FileDescriptor Descriptor { get; }

    public static TimerFd Create()
    {
        int fd = timerfd_create(ClockCalls.CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
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
        ClockCalls.Itimerspec spec = new() { it_interval = ToTimespec(interval), it_value = ToTimespec(delay) };
        if (timerfd_settime(Descriptor.Value, 0, &spec, null) < 0)
        {
            throw new LinuxException("timerfd_settime", Libc.LastErrno);
        }
    }

    /// <summary>Reads and resets the expiry count; 0 when the timer has not fired.</summary>
    public ulong Drain()
    {
        ulong expirations = 0;
        int transferred;
        while (Libc.RetryTransfer(read(Descriptor.Value, &expirations, sizeof(ulong)), "read(timerfd)", out transferred))
        {
        }
        return transferred < 0 ? 0 : expirations;
    }

    public void Dispose() => Descriptor.Dispose();

    private static ClockCalls.Timespec ToTimespec(TimeSpan value)
    {
        long ticks = Math.Max(0, value.Ticks);
        return new() { tv_sec = ticks / TimeSpan.TicksPerSecond, tv_nsec = ticks % TimeSpan.TicksPerSecond * 100 };
    }
}

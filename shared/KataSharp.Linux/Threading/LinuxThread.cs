using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.SignalCalls;

namespace KataSharp.Linux.Threading;

/// <summary>Per-thread kernel facts and signals aimed at one thread (used to kick vCPUs out of KVM_RUN).</summary>
public static unsafe class LinuxThread
{
    /// <summary>CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID): unlike wall time it does not grow
    /// while the thread waits for a core, so it measures work even on a loaded machine.</summary>
    public static TimeSpan CpuTime
    {
        get
        {
            ClockCalls.Timespec now;
            Libc.Check(ClockCalls.clock_gettime(ClockCalls.CLOCK_THREAD_CPUTIME_ID, &now), "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
            return TimeSpan.FromTicks(now.tv_sec * TimeSpan.TicksPerSecond + now.tv_nsec / 100);
        }
    }

    /// <summary>The calling thread's kernel thread id.</summary>
    public static int CurrentId => UnistdCalls.gettid();

    /// <summary>Sends <paramref name="signal"/> to thread <paramref name="tid"/> of this process.</summary>
    public static void Signal(int tid, int signal)
    {
        if (tgkill(UnistdCalls.getpid(), tid, signal) < 0)
        {
            throw new LinuxException($"tgkill({tid}, {signal})", Libc.LastErrno);
        }
    }

    /// <summary>Blocks <paramref name="signal"/> for the calling thread only.</summary>
    public static void BlockSignal(int signal)
    {
        SigSet set;
        Libc.Check(sigemptyset(&set), "sigemptyset");
        Libc.Check(sigaddset(&set, signal), $"sigaddset({signal})");
        int rc = pthread_sigmask(SIG_BLOCK, &set, null);
        if (rc != 0)
        {
            throw new LinuxException("pthread_sigmask(SIG_BLOCK)", rc);
        }
    }

    /// <summary>Consumes a pending, blocked <paramref name="signal"/> of the calling thread, if any.</summary>
    public static bool TryConsumePendingSignal(int signal)
    {
        SigSet set;
        Libc.Check(sigemptyset(&set), "sigemptyset");
        Libc.Check(sigaddset(&set, signal), $"sigaddset({signal})");
        ClockCalls.Timespec zero = default;
        return sigtimedwait(&set, null, &zero) == signal;
    }

    /// <summary>The calling thread's current signal mask as the kernel's 64-bit word (for KVM_SET_SIGNAL_MASK).</summary>
    public static ulong CurrentSignalMask()
    {
        SigSet set;
        int rc = pthread_sigmask(SIG_BLOCK, null, &set);
        if (rc != 0)
        {
            throw new LinuxException("pthread_sigmask(query)", rc);
        }
        return set.__val[0];
    }
}

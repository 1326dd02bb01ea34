using System.Diagnostics;
using KataSharp.Linux.Threading;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>The per-thread CPU clock the fuzz benchmark times its steps with, and the thread id and signal a vCPU kick uses.</summary>
public sealed class LinuxThreadTests
{
    [Fact]
    public void Cpu_time_grows_while_the_thread_works_and_not_while_it_sleeps()
    {
        TimeSpan start = LinuxThread.CpuTime;
        var wall = Stopwatch.StartNew();
        long spins = 0;
        while (LinuxThread.CpuTime - start < TimeSpan.FromMilliseconds(30))
        {
            spins++;
            Assert.True(wall.Elapsed < TimeSpan.FromSeconds(30), "30 ms of CPU did not accumulate in 30 s of spinning");
        }
        Assert.True(spins > 0);

        TimeSpan beforeSleep = LinuxThread.CpuTime;
        Thread.Sleep(200); // the point of the test: sleeping must not count as CPU time
        TimeSpan slept = LinuxThread.CpuTime - beforeSleep;
        Assert.True(slept < TimeSpan.FromMilliseconds(50), $"sleeping 200 ms cost {slept.TotalMilliseconds} ms of CPU");
    }

    [Fact]
    public void A_signal_sent_to_the_current_thread_id_is_pending_on_that_thread()
    {
        int? kernelId = null;
        string? threadSelf = null;
        bool delivered = false;
        // A thread of its own: blocking the signal changes the thread's mask for good.
        var thread = new Thread(() =>
        {
            kernelId = LinuxThread.CurrentId;
            threadSelf = new FileInfo("/proc/thread-self").LinkTarget; // "PID/task/TID" of the calling thread
            LinuxThread.BlockSignal(SignalNumber.SIGUSR2);
            LinuxThread.Signal(LinuxThread.CurrentId, SignalNumber.SIGUSR2);
            delivered = LinuxThread.TryConsumePendingSignal(SignalNumber.SIGUSR2);
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "the signalling thread did not finish");
        Assert.True(delivered, "SIGUSR2 sent with tgkill to gettid() was not pending on the thread");
        Assert.Equal($"{Environment.ProcessId}/task/{kernelId}", threadSelf);
    }
}

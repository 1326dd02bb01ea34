using System.Diagnostics;
using KataSharp.Linux.Threading;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>The per-thread CPU clock the fuzz benchmark times its steps with.</summary>
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
}

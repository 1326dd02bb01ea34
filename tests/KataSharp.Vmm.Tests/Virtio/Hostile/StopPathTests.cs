using System.Diagnostics;
using KataSharp.Linux.Events;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Hostile;

/// <summary>
/// Disposing devices and transports while the event loop is stuck (a backend that never answers, or a
/// bug) returns within a bound and says so, instead of waiting for the loop forever.
/// </summary>
public sealed class StopPathTests : IDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>Holds <paramref name="sync"/> on another thread, as an event loop stuck inside a device does.</summary>
    private static (Thread Holder, ManualResetEventSlim Release) HoldLock(object sync)
    {
        var release = new ManualResetEventSlim();
        var held = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (sync)
            {
                held.Set();
                release.Wait();
            }
        }) { IsBackground = true };
        holder.Start();
        Assert.True(held.Wait(Eventually.DefaultTimeout));
        return (holder, release);
    }

    public static TheoryData<string> Devices() => ["blk", "vsock"];

    [Theory]
    [MemberData(nameof(Devices))]
    public void Disposing_a_device_whose_lock_stays_held_returns_and_reports_it(string kind)
    {
        var log = new List<string>();
        using var loop = new EventLoop("test-loop", _ => { });
        string disk = _files.CreateFile("d.img", 4096, _ => 0);
        VirtioDevice device = kind == "blk"
            ? new BlockDevice("blk0", readOnly: true, path: disk, logSink: log.Add) { DisposeTimeout = Short }
            : new VsockDevice(new VsockOptions(3, _files.PathOf("v.sock")), loop, logSink: log.Add) { DisposeTimeout = Short };
        var (holder, release) = HoldLock(device.Sync);
        try
        {
            var clock = Stopwatch.StartNew();
            Bounded.Run(device.Dispose, $"disposing {kind} while its lock is held");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"dispose took {clock.Elapsed}");
            Assert.Contains(log, line => line.Contains(device.Name) && line.Contains("dispose gave up"));
        }
        finally
        {
            release.Set();
            holder.Join();
        }
        // Once the lock is free, disposing again releases what was left (the socket file goes).
        device.Dispose();
        Assert.False(File.Exists(_files.PathOf("v.sock")));
    }

    [Fact]
    public void Disposing_a_transport_on_a_stuck_loop_returns_within_the_loop_bound()
    {
        var log = new List<string>();
        var loop = new EventLoop("stuck-loop", _ => { }, log.Add) { WaitTimeout = Short };
        using var driver = new FakeDriver(() => new RecordingDevice(), loop: loop).Initialize();
        using LoopBlocker blocker = LoopBlocker.Block(loop);
        try
        {
            var clock = Stopwatch.StartNew();
            Bounded.Run(driver.Transport.Dispose, "disposing the transport");
            Assert.False(Bounded.Run(() => loop.Stop(Short), "stopping the stuck loop"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            Assert.Contains(log, line => line.Contains("'stuck-loop'"));
        }
        finally
        {
            blocker.Release();
        }
        Assert.True(loop.Stop(Eventually.DefaultTimeout));
    }
}

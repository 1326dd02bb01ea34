using System.Buffers.Binary;
using System.Diagnostics;
using KataSharp.Vmm.Errors;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Queue;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Devices;

/// <summary>
/// The block worker (issue 15, issue 17): requests are served on the device's own thread, so a disk that hangs stalls
/// neither the event loop nor any other device; media changes run on that thread between two requests; a driver reset
/// and dispose wait for it only within their bounds, and dispose ends the thread.
/// </summary>
public sealed class BlockWorkerTests : IDisposable
{
    private const long DiskSize = 1 << 20;

    private readonly TempFiles _files = new();
    private readonly string _diskA;
    private readonly string _diskB;

    public BlockWorkerTests()
    {
        _diskA = _files.CreateFile("a.img", DiskSize, _ => 0xAA);
        _diskB = _files.CreateFile("b.img", DiskSize, _ => 0xBB);
    }

    public void Dispose() => _files.Dispose();

    private FakeDriver Start(string name = "blk-w", string? path = null, EventLoop? loop = null, TimeSpan? commandTimeout = null,
        TimeSpan? resetDrain = null, TimeSpan? disposeTimeout = null, List<string>? log = null, ushort queueSize = 16) =>
        new FakeDriver(() => new BlockDevice(name, readOnly: false, "serial", path ?? _diskA, log is null ? _ => { } : line =>
        {
            lock (log)
            {
                log.Add(line);
            }
        })
        {
            CommandTimeout = commandTimeout ?? BlockDevice.DefaultCommandTimeout,
            ResetDrainTimeout = resetDrain ?? BlockDevice.DefaultResetDrainTimeout,
            DisposeTimeout = disposeTimeout ?? BlockDevice.DefaultDisposeTimeout,
        }, loop: loop).Initialize(queueSize: queueSize);

    /// <summary>One read of <paramref name="bytes"/> at sector 0, laid out like Linux (header, data, status); not kicked.</summary>
    private static (ushort Head, GuestAddress Data, GuestAddress Status) PostRead(FakeDriver driver, int bytes = 4096, ulong sector = 0)
    {
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)BlockRequestType.In);
        driver.Memory.Write(header.Add(8), sector);
        GuestAddress data = driver.Allocate((ulong)bytes);
        GuestAddress status = driver.Allocate(1);
        driver.Memory.Write(status, (byte)0xFF);
        ushort head = driver.Queues[0].AddChain((header.Value, 16, false), (data.Value, (uint)bytes, true), (status.Value, 1, true));
        return (head, data, status);
    }

    private static BlockDevice Block(FakeDriver driver) => (BlockDevice)driver.Device;

    private static BlockStatus StatusAt(FakeDriver driver, GuestAddress status) => (BlockStatus)driver.Memory.Read<byte>(status);

    /// <summary>Whether the request's data is all <paramref name="fill"/>.</summary>
    private static bool AllBytes(FakeDriver driver, GuestAddress data, int length, byte fill) =>
        driver.Memory.GetSpan(data, length).IndexOfAnyExcept(fill) < 0;

    [Fact]
    public void Requests_notified_through_QueueNotify_are_served_on_the_devices_worker_thread()
    {
        using FakeDriver driver = Start(name: "blk-thr");
        var served = new List<string?>();
        Block(driver).BeforeRequest = _ => served.Add(Thread.CurrentThread.Name);
        var (head, data, status) = PostRead(driver);

        driver.Notify(0);
        driver.WaitForUsed(0, 1);

        Assert.Equal((head, 4097u), Assert.Single(driver.Queues[0].TakeUsed()));
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));
        Assert.True(AllBytes(driver, data, 4096, 0xAA));
        Assert.Equal(["blk-thr-io"], served);
        Assert.Equal("blk-thr-io", Block(driver).WorkerName);
        Eventually.True(() => driver.Interrupt.Count > 0, "the used-buffer interrupt");
        Assert.Empty(driver.LoopErrors);
    }

    [Fact]
    public void A_stalled_disk_stalls_neither_the_event_loop_nor_another_device_on_it_nor_the_vcpu()
    {
        // Three devices on one event loop, as in a VM: the stalled disk, a second disk, and an rng.
        using var loop = new EventLoop("blk-shared-loop", _ => { });
        using FakeDriver stalled = Start(name: "blk-slow", loop: loop);
        using FakeDriver other = Start(name: "blk-fast", path: _diskB, loop: loop);
        using FakeDriver rng = new FakeDriver(() => new RngDevice(logSink: _ => { }), loop: loop).Initialize();
        using StalledDisk disk = StalledDisk.Stall(Block(stalled));
        var (_, slowData, slowStatus) = PostRead(stalled);
        stalled.Notify(0);
        disk.WaitForRequest();

        // The loop still takes notifications: the second disk and the rng answer while the first disk hangs.
        var (_, fastData, fastStatus) = PostRead(other);
        other.Notify(0);
        other.WaitForUsed(0, 1, TimeSpan.FromSeconds(5));
        Assert.Equal(BlockStatus.Ok, StatusAt(other, fastStatus));
        Assert.True(AllBytes(other, fastData, 4096, 0xBB));
        GuestAddress entropy = rng.Allocate(64);
        rng.Queues[0].AddChain((entropy.Value, 64, true));
        rng.Notify(0);
        rng.WaitForUsed(0, 1, TimeSpan.FromSeconds(5));
        Bounded.Run(() => loop.Invoke(() => { }), "a round trip through the event loop", TimeSpan.FromSeconds(5));

        // A vCPU touching the stalled device's registers and config space does not wait for its disk either.
        ulong capacity = Bounded.Run(() => BinaryPrimitives.ReadUInt64LittleEndian(stalled.ReadConfig(0, 8)), "a config read on the stalled disk", TimeSpan.FromSeconds(5));
        Assert.Equal((ulong)DiskSize / 512, capacity);
        Bounded.Run(() => stalled.Read(MmioRegister.Status), "a status read on the stalled disk", TimeSpan.FromSeconds(5));

        Assert.Equal(0, stalled.Queues[0].UsedIdx); // still in the disk
        disk.Release();
        stalled.WaitForUsed(0, 1);
        Assert.Equal(BlockStatus.Ok, StatusAt(stalled, slowStatus));
        Assert.True(AllBytes(stalled, slowData, 4096, 0xAA));
    }

    [Fact]
    public async Task A_media_change_waits_for_the_request_in_hand_and_takes_effect_before_the_next()
    {
        using FakeDriver driver = Start();
        BlockDevice device = Block(driver);
        using StalledDisk disk = StalledDisk.Stall(device);
        var (_, firstData, firstStatus) = PostRead(driver);
        driver.Notify(0);
        disk.WaitForRequest();

        Task attach = Task.Run(() => device.Attach(_diskB, "new"));
        Assert.NotSame(attach, await Task.WhenAny(attach, Task.Delay(300)));
        Assert.Equal(_diskA, device.MediaPath);
        Assert.Equal(0L, device.Metrics.MediaChanges);

        disk.Release();
        await attach.WaitAsync(Eventually.DefaultTimeout); // finishes once the request left the backend
        driver.WaitForUsed(0, 1);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, firstStatus));
        Assert.True(AllBytes(driver, firstData, 4096, 0xAA), "the request in hand read the old medium, whole");
        Assert.Equal(_diskB, device.MediaPath);

        var (_, secondData, secondStatus) = PostRead(driver);
        driver.Notify(0);
        driver.WaitForUsed(0, 2);
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, secondStatus));
        Assert.True(AllBytes(driver, secondData, 4096, 0xBB), "the next request read the new medium");
        Assert.Equal(["blk-w-io", "blk-w-io"], disk.ServingThreads);
    }

    [Fact]
    public void A_media_change_the_worker_cannot_take_in_time_is_withdrawn_the_old_medium_stays_and_the_new_one_is_closed()
    {
        using FakeDriver driver = Start(commandTimeout: TimeSpan.FromMilliseconds(300));
        BlockDevice device = Block(driver);
        using StalledDisk disk = StalledDisk.Stall(device);
        PostRead(driver);
        driver.Notify(0);
        disk.WaitForRequest();

        var error = Assert.Throws<BlockDeviceException>(() => device.Attach(_diskB, "new"));
        Assert.Equal(VmmFailure.HostFailure, error.Failure);
        Assert.Contains("blk-w-io", error.Message);
        Assert.Contains("nothing was changed", error.Message);
        Assert.Equal(_diskA, device.MediaPath);
        Assert.Equal(0, OpenDescriptorsTo(_diskB));

        disk.Release();
        driver.WaitForUsed(0, 1);
        Assert.True(device.WaitForWorkerIdle(Eventually.DefaultTimeout));
        Assert.Equal(_diskA, device.MediaPath); // the withdrawn command never ran late
        Assert.Equal(0L, device.Metrics.MediaChanges);
        device.Detach(); // and the worker takes the next one at once
        Assert.Null(device.MediaPath);
    }

    [Fact]
    public void A_reset_waits_for_the_request_in_hand_and_the_new_rings_never_see_its_completion()
    {
        using FakeDriver driver = Start(resetDrain: TimeSpan.FromSeconds(10));
        BlockDevice device = Block(driver);
        using StalledDisk disk = StalledDisk.Stall(device);
        var (_, _, oldStatus) = PostRead(driver);
        driver.Notify(0);
        disk.WaitForRequest();

        var clock = Stopwatch.StartNew();
        using var releaser = new Timer(_ => disk.Release(), null, 300, Timeout.Infinite);
        Bounded.Run(() => driver.Write(MmioRegister.Status, 0), "the reset (status 0)");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"the reset returned after {clock.ElapsedMilliseconds} ms, before the request left the backend");
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, oldStatus)); // its data and status landed before the reset returned...
        ushort oldUsed = driver.Queues[0].UsedIdx;
        Assert.Equal(0, oldUsed); // ...but it was not returned on the rings the driver just reset

        driver.Initialize(); // new rings
        var (head, data, status) = PostRead(driver);
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Assert.Equal((head, 4097u), Assert.Single(driver.Queues[0].TakeUsed()));
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));
        Assert.True(AllBytes(driver, data, 4096, 0xAA));
        Assert.False(device.IsFailed);
    }

    [Fact]
    public void A_reset_gives_up_on_a_hung_request_after_its_bound_and_drops_its_completion()
    {
        var log = new List<string>();
        using FakeDriver driver = Start(resetDrain: TimeSpan.FromMilliseconds(300), log: log);
        BlockDevice device = Block(driver);
        using StalledDisk disk = StalledDisk.Stall(device);
        PostRead(driver);
        driver.Notify(0);
        disk.WaitForRequest();

        var clock = Stopwatch.StartNew();
        Bounded.Run(() => driver.Write(MmioRegister.Status, 0), "the reset (status 0)", TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"the reset returned after {clock.ElapsedMilliseconds} ms without waiting");
        Assert.Equal(DeviceStatus.Reset, driver.Status);
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("reset: a request is still in the backend"));
        }

        driver.Initialize(); // new rings while the old request is still in the disk
        disk.Release();
        var (head, _, status) = PostRead(driver);
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Assert.True(device.WaitForWorkerIdle(Eventually.DefaultTimeout));
        Assert.Equal((head, 4097u), Assert.Single(driver.Queues[0].TakeUsed())); // the old chain never shows up here
        Assert.Equal(BlockStatus.Ok, StatusAt(driver, status));
    }

    [Fact]
    public void Dispose_ends_the_worker_thread()
    {
        // A name of its own, so the thread can be looked for among the process's tasks.
        FakeDriver driver = Start(name: "blkleak");
        BlockDevice device = Block(driver);
        PostRead(driver);
        driver.Notify(0);
        driver.WaitForUsed(0, 1);
        Eventually.True(() => ThreadsNamed("blkleak-io") == 1, "one OS thread named blkleak-io");
        Assert.Equal(BlockWorkerState.Running, device.WorkerState);

        driver.Dispose();

        Assert.True(device.WorkerHasEnded);
        Assert.Equal(BlockWorkerState.Stopped, device.WorkerState);
        Eventually.True(() => ThreadsNamed("blkleak-io") == 0, "the OS thread blkleak-io to be gone (the managed join returns while the native thread exits)");
    }

    [Fact]
    public void Dispose_with_a_hung_request_is_bounded_keeps_the_medium_open_and_the_worker_ends_once_the_disk_answers()
    {
        var log = new List<string>();
        FakeDriver driver = Start(disposeTimeout: TimeSpan.FromMilliseconds(300), log: log);
        BlockDevice device = Block(driver);
        using StalledDisk disk = StalledDisk.Stall(device);
        PostRead(driver);
        driver.Notify(0);
        disk.WaitForRequest();

        Bounded.Run(() => device.Dispose(), "disposing the device", TimeSpan.FromSeconds(5));
        Assert.False(device.WorkerHasEnded);
        Assert.Equal(BlockWorkerState.Stopping, device.WorkerState);
        Assert.Equal(1, OpenDescriptorsTo(_diskA)); // the worker may still read it
        lock (log)
        {
            Assert.Contains(log, l => l.Contains("blk-w-io") && l.Contains("did not stop"));
        }

        disk.Release();
        Eventually.True(() => device.WorkerHasEnded, "the worker to end once its request returned");
        device.Dispose(); // a later dispose finishes the job
        Assert.Equal(BlockWorkerState.Stopped, device.WorkerState);
        Assert.Equal(0, OpenDescriptorsTo(_diskA));
        driver.Dispose();
    }

    [Fact]
    public void After_the_worker_stopped_nothing_is_served_and_media_changes_run_on_the_callers_thread()
    {
        using FakeDriver driver = Start();
        BlockDevice device = Block(driver);
        Assert.True(device.StopServing(TimeSpan.FromSeconds(5)));
        Assert.True(device.WorkerHasEnded);

        PostRead(driver);
        driver.Notify(0);
        driver.Transport.ProcessQueueNow(0);
        Bounded.Run(() => driver.Loop.Invoke(() => { }), "a turn of the loop after the kick");
        Assert.Equal(0, driver.Queues[0].UsedIdx); // the VM stopped: guest memory is no longer written for this disk

        device.Attach(_diskB, "late");
        Assert.Equal(_diskB, device.MediaPath);
        device.Detach();
        Assert.Null(device.MediaPath);
        Assert.Equal(2L, device.Metrics.MediaChanges);
    }

    [Fact]
    public async Task A_guest_that_keeps_the_queue_full_gets_bounded_turns_and_media_changes_still_get_through()
    {
        using FakeDriver driver = Start(queueSize: 256);
        BlockDevice device = Block(driver);
        FakeQueue queue = driver.Queues[0];
        // Every request names the same 1 MiB (the whole disk): free for the guest to repeat, 1 MiB of reading for the host each.
        const int RequestBytes = 1 << 20;
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)BlockRequestType.In);
        GuestAddress data = driver.Allocate(RequestBytes);
        GuestAddress status = driver.Allocate(1);
        void Post(int count)
        {
            for (int i = 0; i < count; i++)
            {
                queue.AddChain((header.Value, 16, false), (data.Value, RequestBytes / 4, true), (data.Value, RequestBytes / 4 * 3, true), (status.Value, 1, true));
            }
        }

        Post(64);
        using var gate = new ManualResetEventSlim();
        driver.Loop.Post(gate.Wait); // park the loop: the worker's own turn is all that runs
        try
        {
            driver.Transport.ProcessQueueNow(0);
            Assert.Equal((ushort)(QueueLimits.BytesPerTurn / RequestBytes), queue.UsedIdx);
            Assert.Equal(1UL, driver.Transport.QueueEvents[0].Drain()); // it yielded and asked the loop for another turn
        }
        finally
        {
            gate.Set();
        }

        // The guest refills the ring as fast as the device empties it; host media changes still go through between turns.
        using var stop = new CancellationTokenSource();
        var flooder = Task.Run(() =>
        {
            ushort posted = 64;
            while (!stop.IsCancellationRequested)
            {
                int room = 64 - (ushort)(posted - queue.UsedIdx);
                if (room > 0)
                {
                    Post(room);
                    posted += (ushort)room;
                }
                driver.Notify(0);
                Thread.Yield();
            }
        });
        try
        {
            for (int i = 0; i < 10; i++)
            {
                // Each change goes in while the device is serving the flood: reads have moved on since the last one.
                long readsBefore = device.Metrics.Reads;
                Eventually.True(() => device.Metrics.Reads >= readsBefore + 8, $"the device serves the flood before media change {i}");
                Bounded.Run(() => device.Attach(i % 2 == 0 ? _diskB : _diskA), $"media change {i} under the flood", TimeSpan.FromSeconds(5));
            }
        }
        finally
        {
            stop.Cancel();
            await flooder.WaitAsync(Eventually.DefaultTimeout);
        }
        Assert.Equal(10L, device.Metrics.MediaChanges);
        Assert.True(device.Metrics.Reads >= 64 + 10 * 8, $"only {device.Metrics.Reads} reads were served during the flood");
        Assert.False(device.IsFailed);
    }

    private static int ThreadsNamed(string name) =>
        Directory.EnumerateDirectories("/proc/self/task").Count(task =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name;
            }
            catch (IOException)
            {
                return false; // the task ended while we looked
            }
        });

    private static int OpenDescriptorsTo(string path) =>
        Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget == path;
            }
            catch (IOException)
            {
                return false;
            }
        });
}

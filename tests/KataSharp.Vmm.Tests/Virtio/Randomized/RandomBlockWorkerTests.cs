using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio.Devices.Block;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Randomized;

/// <summary>
/// Seeded interleavings of what reaches a block worker from three sides at once: the guest (reads of random size and
/// place, GET_ID, chains without a status byte, kicks through the register or a direct turn, resets with requests
/// outstanding), a host thread changing media, a disk that is sometimes slow (attach either disk, eject, attach a missing file), and the worker itself.
/// Whatever the timing: every used entry names a request posted on the current rings (none from before a reset), every
/// successful read holds one medium whole, nothing throws onto the loop and the device is never parked.
/// </summary>
public sealed class RandomBlockWorkerTests : IDisposable
{
    private const long DiskSize = 256 * 1024;
    private const int MaxOutstanding = 16; // 3 descriptors each in a ring of 64

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private sealed record Request(GuestAddress Data, int Length, GuestAddress Status, bool HasStatus, bool IsGetId);

    [Fact]
    public void Requests_media_changes_and_resets_interleave_safely()
    {
        string a = _files.CreateFile("a.img", DiskSize, _ => 0xAA);
        string b = _files.CreateFile("b.img", DiskSize, _ => 0xBB);
        string missing = _files.PathOf("missing.img");
        long okReads = 0;
        long changes = 0;
        Seeds.Run("blk-worker", defaultCount: 20, seed =>
        {
            var random = new Random(seed);
            using FakeDriver driver = new FakeDriver(() => new BlockDevice("blk-rnd", readOnly: false, "serial", a, _ => { })).Initialize(queueSize: 64);
            var device = (BlockDevice)driver.Device;
            // A disk that is sometimes slow, so resets and media changes land while a request is in the backend.
            device.BeforeRequest = _ =>
            {
                if (Random.Shared.Next(3) == 0)
                {
                    Thread.Sleep(1);
                }
            };
            var outstanding = new Dictionary<ushort, Request>();
            using var stop = new CancellationTokenSource();
            Exception? changerFailure = null;
            var changer = new Thread(() =>
            {
                var hostRandom = new Random(seed ^ 0x5EED);
                try
                {
                    ChangeMedia(device, hostRandom, a, b, missing, stop.Token);
                }
                catch (Exception e)
                {
                    changerFailure = e;
                }
            }) { IsBackground = true, Name = $"media changer {seed}" };
            changer.Start();
            try
            {
                for (int step = 0; step < 200; step++)
                {
                    int choice = random.Next(100);
                    if (choice < 70 && outstanding.Count < MaxOutstanding)
                    {
                        Post(driver, random, outstanding);
                        Kick(driver, random);
                    }
                    else if (choice < 78)
                    {
                        driver.Initialize(queueSize: 64); // a reset with requests outstanding, then new rings
                        outstanding.Clear();
                    }
                    else
                    {
                        Kick(driver, random);
                        Drain(driver, outstanding, ref okReads, waitForAll: choice >= 90);
                    }
                }
                driver.Notify(0);
                Drain(driver, outstanding, ref okReads, waitForAll: true);
            }
            finally
            {
                stop.Cancel();
                Assert.True(changer.Join(Eventually.DefaultTimeout), "the media changer to stop (an attach or detach hangs)");
            }
            Assert.Null(changerFailure);
            Assert.Empty(driver.LoopErrors);
            Assert.Equal(0, driver.Transport.InternalErrors);
            Assert.False(device.IsFailed, device.GuestErrors.Last);
            changes += device.Metrics.MediaChanges;
        });
        Assert.True(okReads > 500, $"only {okReads} reads succeeded over all seeds: the generator does not exercise the worker");
        Assert.True(changes > 100, $"only {changes} media changes happened over all seeds");
    }

    /// <summary>The host side: media changes as fast as they go, with short pauses.</summary>
    private static void ChangeMedia(BlockDevice device, Random random, string a, string b, string missing, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            switch (random.Next(4))
            {
                case 0:
                    device.Detach();
                    break;
                case 1:
                    device.Attach(random.Next(2) == 0 ? a : b, random.Next(2) == 0 ? null : "other");
                    break;
                case 2:
                    try
                    {
                        device.Attach(missing);
                        throw new InvalidOperationException("attaching a missing file succeeded");
                    }
                    catch (BlockDeviceException)
                    {
                        // Expected: the old medium stays.
                    }
                    break;
                default:
                    Thread.Sleep(random.Next(3));
                    break;
            }
        }
    }

    private static void Kick(FakeDriver driver, Random random)
    {
        if (random.Next(2) == 0)
        {
            driver.Notify(0);
        }
        else
        {
            driver.Transport.ProcessQueueNow(0);
        }
    }

    private static void Post(FakeDriver driver, Random random, Dictionary<ushort, Request> outstanding)
    {
        bool getId = random.Next(10) == 0;
        bool hasStatus = random.Next(20) != 0;
        int length = getId ? 20 : random.Next(1, 33) * 512;
        ulong sector = (ulong)random.Next(0, (int)(DiskSize / 512) - length / 512 + 1);
        GuestAddress header = driver.Allocate(16);
        driver.Memory.Write(header, (uint)(getId ? BlockRequestType.GetId : BlockRequestType.In));
        driver.Memory.Write(header.Add(8), sector);
        GuestAddress data = driver.Allocate((ulong)length);
        GuestAddress status = driver.Allocate(1);
        driver.Memory.Write(status, (byte)0xFF);
        ushort head = hasStatus
            ? driver.Queues[0].AddChain((header.Value, 16, false), (data.Value, (uint)length, true), (status.Value, 1, true))
            : driver.Queues[0].AddChain((header.Value, 16, false));
        outstanding.Add(head, new Request(data, length, status, hasStatus, getId));
    }

    /// <summary>Checks what the device returned since the last look; with <paramref name="waitForAll"/>, first waits until
    /// every outstanding request is back.</summary>
    private static void Drain(FakeDriver driver, Dictionary<ushort, Request> outstanding, ref long okReads, bool waitForAll)
    {
        FakeQueue queue = driver.Queues[0];
        if (waitForAll)
        {
            ushort target = (ushort)(queue.AvailIdx);
            Eventually.True(() => queue.UsedIdx == target, $"all {outstanding.Count} outstanding requests to come back");
        }
        foreach ((uint id, uint length) in queue.TakeUsed())
        {
            Assert.True(outstanding.Remove((ushort)id, out Request? request), $"used entry names head {id}, which is not outstanding on these rings");
            if (!request.HasStatus)
            {
                Assert.Equal(0u, length);
                continue;
            }
            var status = (BlockStatus)driver.Memory.Read<byte>(request.Status);
            if (request.IsGetId)
            {
                Assert.Equal(BlockStatus.Ok, status);
                continue;
            }
            if (status == BlockStatus.IoError)
            {
                Assert.Equal(1u, length); // the slot was empty at that moment
                continue;
            }
            Assert.Equal(BlockStatus.Ok, status);
            Assert.Equal((uint)request.Length + 1, length);
            ReadOnlySpan<byte> bytes = driver.Memory.GetSpan(request.Data, request.Length);
            Assert.True(bytes[0] is 0xAA or 0xBB && bytes.IndexOfAnyExcept(bytes[0]) < 0, "a read mixes two media or holds neither");
            okReads++;
        }
    }
}

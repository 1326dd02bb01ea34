using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;
using KataSharp.Vmm.Virtio.Devices.Net;
using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Devices.Vsock;
using KataSharp.Vmm.Virtio.Transport;
using Xunit;

namespace KataSharp.Vmm.Tests.Virtio.Randomized;

/// <summary>
/// Random register traffic from a hostile driver: any offset, width and value, including status walks
/// and queue setups with random rings and kicks. Nothing may throw out of the transport or onto the event
/// loop, nothing may hang, and afterwards a reset brings back a device that serves a normal request.
/// </summary>
public sealed class RandomRegisterTests : IDisposable
{
    private static readonly uint[] Registers =
    [
        MmioRegister.MagicValue, MmioRegister.Version, MmioRegister.DeviceId, MmioRegister.DeviceFeatures, MmioRegister.DeviceFeaturesSel,
        MmioRegister.DriverFeatures, MmioRegister.DriverFeaturesSel, MmioRegister.QueueSel, MmioRegister.QueueNumMax, MmioRegister.QueueNum,
        MmioRegister.QueueReady, MmioRegister.QueueNotify, MmioRegister.InterruptStatus, MmioRegister.InterruptAck, MmioRegister.Status,
        MmioRegister.QueueDescLow, MmioRegister.QueueDescHigh, MmioRegister.QueueDriverLow, MmioRegister.QueueDriverHigh,
        MmioRegister.QueueDeviceLow, MmioRegister.QueueDeviceHigh, MmioRegister.ShmSel, MmioRegister.ConfigGeneration,
    ];

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string> Devices() => ["rng", "blk", "vsock", "recording", "vhost-net"];

    [Theory]
    [MemberData(nameof(Devices))]
    public void Random_register_sequences_never_throw_and_leave_a_resettable_device(string kind)
    {
        string disk = _files.CreateFile("disk.img", 1 << 20, i => (byte)i);
        long activeSteps = 0;
        Seeds.Run($"registers-{kind}", defaultCount: 40, seed =>
        {
            var random = new Random(seed);
            var vhost = new FakeVhostNet();
            using var driver = new FakeDriver(loop => kind switch
            {
                "vhost-net" => new VhostNetDevice("net", new NetOptions(FakeNetGuest.GuestMac), new FakeNetBackend(), vhost, loop, _ => { }),
                "rng" => new RngDevice(logSink: _ => { }),
                "blk" => new BlockDevice("blk", readOnly: false, "s", disk, _ => { }),
                "vsock" => new VsockDevice(new VsockOptions(3, _files.PathOf($"v{seed}.sock")), loop, logSink: _ => { }),
                _ => new RecordingDevice(),
            });
            for (int step = 0; step < 3000; step++)
            {
                RandomAccess(driver, random);
                activeSteps += driver.Device.IsActivated ? 1 : 0;
                if (kind == "vhost-net")
                {
                    // vhost holds the tap exactly while the device is live: never after a reset or a parked activation.
                    int tap = driver.Device.IsActivated && !driver.Device.IsFailed ? 1 : -1;
                    Assert.Equal([tap, tap], vhost.Backends.Select(fd => Math.Sign(fd)));
                }
            }
            // Let the event loop finish whatever the kicks started (bounded: each turn is capped).
            driver.Loop.Invoke(() => { });
            Assert.Empty(driver.LoopErrors);

            driver.Initialize();
            Assert.True(driver.Device.IsActivated);
            Assert.False(driver.Device.IsFailed);
            Assert.Empty(driver.LoopErrors);
        });
        Assert.True(activeSteps > 0, "the random driver never got the device activated: the test explores too little");
    }

    private static void RandomAccess(FakeDriver driver, Random random)
    {
        int choice = random.Next(100);
        if (choice < 2)
        {
            // A whole (possibly subtly wrong) probe sequence, so the rest of the traffic meets a live device.
            if (driver.Negotiate(random.Next(4) == 0 ? (ulong)random.NextInt64() : null))
            {
                driver.SetUpQueues((ushort)(1 << random.Next(1, 9)));
                if (random.Next(4) == 0)
                {
                    driver.Write(MmioRegister.QueueSel, (uint)random.Next(3));
                    driver.Write(MmioRegister.QueueNum, (uint)random.Next(300));
                }
                driver.DriverOk();
            }
            return;
        }
        if (choice < 5 && driver.Queues.Length > 0)
        {
            // The guest scribbles over its own rings while the device uses them.
            FakeQueue queue = driver.Queues[random.Next(driver.Queues.Length)];
            var garbage = new byte[random.Next(1, 64)];
            random.NextBytes(garbage);
            KataSharp.Vmm.Memory.GuestAddress[] areas = [queue.Desc, queue.Avail, queue.Used];
            driver.Memory.Write(areas[random.Next(3)].Add((ulong)random.Next(16 * queue.Size)), garbage);
            driver.Write(MmioRegister.QueueNotify, (uint)random.Next(3));
            return;
        }
        if (choice < 10)
        {
            // A plausible step of the status handshake, so random traffic also reaches the live device.
            uint[] statuses = [0, 1, 3, 11, 15, 143, 64, 4];
            driver.Write(MmioRegister.Status, statuses[random.Next(statuses.Length)]);
            return;
        }
        if (choice < 14)
        {
            // Accept VERSION_1 (and maybe more), as a driver between DRIVER and FEATURES_OK would.
            driver.Write(MmioRegister.DriverFeaturesSel, 1);
            driver.Write(MmioRegister.DriverFeatures, (uint)random.Next(4) == 0 ? (uint)random.Next() : 1);
            driver.Write(MmioRegister.DriverFeaturesSel, 0);
            driver.Write(MmioRegister.DriverFeatures, (uint)(random.Next(2) == 0 ? VirtioFeatures.Common : (ulong)random.Next()));
            return;
        }
        if (choice < 17)
        {
            driver.Write(MmioRegister.QueueSel, (uint)random.Next(4));
            driver.Write(MmioRegister.QueueNum, random.Next(4) == 0 ? (uint)random.Next(1000) : 1u << random.Next(9));
            driver.Write(MmioRegister.QueueReady, 1);
            return;
        }
        if (choice < 20)
        {
            driver.Write(MmioRegister.QueueNotify, (uint)random.Next(5));
            return;
        }
        if (choice < 30)
        {
            // Ring addresses in and around RAM (including the hole and past the end).
            ulong[] places = [0, 0x1000, 0x10_0000, FakeDriver.LowRamSize - 8, FakeDriver.HighRamStart, 0xFFFF_FFFF_FFFF_F000];
            ulong address = places[random.Next(places.Length)] + (ulong)random.Next(64);
            uint register = (uint)(MmioRegister.QueueDescLow + 0x10 * random.Next(3));
            driver.WriteAddress(register, new KataSharp.Vmm.Memory.GuestAddress(address));
            return;
        }
        uint offset = random.Next(4) == 0 ? (uint)random.Next(0x180) : Registers[random.Next(Registers.Length)];
        int width = random.Next(6) switch { 0 => 1, 1 => 2, 2 => 8, _ => 4 };
        var data = new byte[width];
        if (random.Next(2) == 0)
        {
            random.NextBytes(data);
        }
        else
        {
            data[0] = (byte)random.Next(20);
        }
        if (random.Next(3) == 0)
        {
            driver.Transport.Read(offset, data);
        }
        else
        {
            driver.Transport.Write(offset, data);
        }
    }
}

using System.Buffers.Binary;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Transport;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// A virtio-mmio driver without KVM: guest RAM in a <see cref="GuestMemory"/> (two regions with a hole
/// between them, like below/above the MMIO hole), a real <see cref="EventLoop"/>, and a transport it
/// talks to only through 32-bit register reads and writes, in the order Linux's virtio_mmio does.
/// </summary>
internal sealed class FakeDriver : IDisposable
{
    public const ulong LowRamSize = 16 << 20;
    public const ulong HighRamStart = 32 << 20;
    public const ulong HighRamSize = 8 << 20;

    private ulong _nextFree = 1 << 20;

    public FakeDriver(Func<VirtioDevice> createDevice, CountingInterruptLine? interrupt = null, EventLoop? loop = null)
        : this(_ => createDevice(), interrupt, loop)
    {
    }

    /// <summary>For devices that need the event loop at construction (vsock).</summary>
    public FakeDriver(Func<EventLoop, VirtioDevice> createDevice, CountingInterruptLine? interrupt = null, EventLoop? loop = null)
    {
        Memory = GuestMemory.Create([(new GuestAddress(0), LowRamSize), (new GuestAddress(HighRamStart), HighRamSize)]);
        OwnsLoop = loop is null;
        Loop = loop ?? new EventLoop("fake-driver-loop", e => LoopErrors.Add(e));
        Interrupt = interrupt ?? new CountingInterruptLine();
        Device = createDevice(Loop);
        Transport = new MmioTransport(Device, Interrupt, Memory, Loop);
    }

    /// <summary>Drives a transport someone else created and owns (e.g. one placed by the device manager).</summary>
    public FakeDriver(MmioTransport transport, GuestMemory memory, EventLoop loop)
    {
        Memory = memory;
        Loop = loop;
        Interrupt = new CountingInterruptLine();
        Device = transport.Device;
        Transport = transport;
        OwnsEverything = false;
    }

    /// <summary>False when driving a borrowed transport: dispose touches nothing.</summary>
    public bool OwnsEverything { get; } = true;

    public GuestMemory Memory { get; }

    public EventLoop Loop { get; }

    public bool OwnsLoop { get; }

    /// <summary>Exceptions that escaped a handler onto the event loop: must stay empty.</summary>
    public List<Exception> LoopErrors { get; } = [];

    public CountingInterruptLine Interrupt { get; }

    public VirtioDevice Device { get; }

    public MmioTransport Transport { get; }

    public FakeQueue[] Queues { get; private set; } = [];

    public DeviceStatus Status => (DeviceStatus)Read(MmioRegister.Status);

    public uint Read(uint offset)
    {
        Span<byte> data = stackalloc byte[4];
        Transport.Read(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    public void Write(uint offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        Transport.Write(offset, data);
    }

    public byte[] ReadConfig(uint offset, int length)
    {
        var data = new byte[length];
        Transport.Read(MmioRegister.Config + offset, data);
        return data;
    }

    /// <summary>Bump allocation of guest RAM (zeroed), aligned.</summary>
    public GuestAddress Allocate(ulong size, ulong alignment = 16)
    {
        ulong start = (_nextFree + alignment - 1) / alignment * alignment;
        if (start + size > LowRamSize)
        {
            throw new InvalidOperationException("fake driver ran out of guest RAM");
        }
        _nextFree = start + size;
        Memory.Clear(new GuestAddress(start), size);
        return new GuestAddress(start);
    }

    public ulong ReadDeviceFeatures()
    {
        Write(MmioRegister.DeviceFeaturesSel, 1);
        ulong high = Read(MmioRegister.DeviceFeatures);
        Write(MmioRegister.DeviceFeaturesSel, 0);
        return (high << 32) | Read(MmioRegister.DeviceFeatures);
    }

    public void WriteDriverFeatures(ulong features)
    {
        Write(MmioRegister.DriverFeaturesSel, 0);
        Write(MmioRegister.DriverFeatures, (uint)features);
        Write(MmioRegister.DriverFeaturesSel, 1);
        Write(MmioRegister.DriverFeatures, (uint)(features >> 32));
    }

    /// <summary>Reset → ACKNOWLEDGE → DRIVER → features; true when the device kept FEATURES_OK.</summary>
    public bool Negotiate(ulong? wanted = null)
    {
        Write(MmioRegister.Status, 0);
        Write(MmioRegister.Status, (uint)DeviceStatus.Acknowledge);
        Write(MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver));
        ulong offered = ReadDeviceFeatures();
        WriteDriverFeatures(wanted ?? offered);
        Write(MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk));
        return (Status & DeviceStatus.FeaturesOk) != 0;
    }

    /// <summary>Sets up every queue (size ≤ <paramref name="queueSize"/>) like vm_setup_vq.</summary>
    public void SetUpQueues(ushort queueSize = 16)
    {
        int count = Device.Queues.Count;
        Queues = new FakeQueue[count];
        for (int i = 0; i < count; i++)
        {
            Write(MmioRegister.QueueSel, (uint)i);
            if (Read(MmioRegister.QueueReady) != 0)
            {
                throw new InvalidOperationException($"queue {i} is already ready after reset");
            }
            ushort size = (ushort)Math.Min(queueSize, Read(MmioRegister.QueueNumMax));
            GuestAddress desc = Allocate(FakeQueue.DescBytes(size), 16);
            GuestAddress avail = Allocate(FakeQueue.AvailBytes(size), 2);
            GuestAddress used = Allocate(FakeQueue.UsedBytes(size), 4);
            Write(MmioRegister.QueueNum, size);
            WriteAddress(MmioRegister.QueueDescLow, desc);
            WriteAddress(MmioRegister.QueueDriverLow, avail);
            WriteAddress(MmioRegister.QueueDeviceLow, used);
            Write(MmioRegister.QueueReady, 1);
            Queues[i] = new FakeQueue(Memory, size, desc, avail, used);
        }
    }

    public void WriteAddress(uint lowRegister, GuestAddress address)
    {
        Write(lowRegister, (uint)address.Value);
        Write(lowRegister + 4, (uint)(address.Value >> 32));
    }

    public void DriverOk() =>
        Write(MmioRegister.Status, (uint)(DeviceStatus.Acknowledge | DeviceStatus.Driver | DeviceStatus.FeaturesOk | DeviceStatus.DriverOk));

    /// <summary>The whole Linux probe sequence; throws when the device refuses.</summary>
    public FakeDriver Initialize(ulong? features = null, ushort queueSize = 16)
    {
        if (!Negotiate(features))
        {
            throw new InvalidOperationException("device refused FEATURES_OK");
        }
        SetUpQueues(queueSize);
        DriverOk();
        if (!Device.IsActivated)
        {
            throw new InvalidOperationException($"device did not activate: {Device.GuestErrors.Last}");
        }
        return this;
    }

    public void Notify(int queue) => Write(MmioRegister.QueueNotify, (uint)queue);

    /// <summary>Acknowledges whatever is pending, like vm_interrupt.</summary>
    public InterruptStatus AcknowledgeInterrupt()
    {
        uint pending = Read(MmioRegister.InterruptStatus);
        Write(MmioRegister.InterruptAck, pending);
        return (InterruptStatus)pending;
    }

    /// <summary>Waits until the device has returned <paramref name="count"/> chains in total on <paramref name="queue"/>.</summary>
    public void WaitForUsed(int queue, ushort count, TimeSpan? timeout = null) =>
        Eventually.True(() => (ushort)(Queues[queue].UsedIdx - count) < 0x8000, $"used.idx of queue {queue} to reach {count}", timeout);

    public void Dispose()
    {
        if (!OwnsEverything)
        {
            return;
        }
        Transport.Dispose();
        Device.Dispose();
        if (OwnsLoop)
        {
            Loop.Dispose();
        }
        Memory.Dispose();
    }
}

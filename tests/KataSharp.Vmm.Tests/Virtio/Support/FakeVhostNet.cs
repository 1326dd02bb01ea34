using KataSharp.Linux;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Net;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// vhost-net without the kernel: records every call in order (<see cref="Calls"/>, e.g. "SetVringNum(0, 64)") and the
/// state the device handed over (features, memory table, ring addresses, kick/call/backend descriptor numbers, -1 when
/// unbound), and fails the call named <see cref="FailOn"/> with <see cref="FailWith"/>. Thread-safe.
/// </summary>
internal sealed class FakeVhostNet : IVhostNet
{
    /// <summary>What a 6.x kernel's vhost-net offers (VERSION_1, ACCESS_PLATFORM, EVENT_IDX, INDIRECT_DESC,
    /// ANY_LAYOUT, VHOST_NET_F_VIRTIO_NET_HDR, LOG_ALL, NOTIFY_ON_EMPTY, MRG_RXBUF).</summary>
    public const ulong KernelFeatures = VirtioFeatures.Version1 | (1UL << 33) | VirtioFeatures.RingEventIdx | VirtioFeatures.RingIndirectDesc
        | (1UL << 27) | (1UL << 26) | (1UL << 24) | NetFeatures.MrgRxbuf;

    private readonly object _sync = new();
    private readonly List<string> _calls = [];

    public ulong Features { get; init; } = KernelFeatures;

    /// <summary>The start of the calls that throw: a method name ("SetVringAddresses") or one queue's ("SetBackend(1").</summary>
    public string? FailOn { get; set; }

    public Errno FailWith { get; set; } = Errno.EINVAL;

    /// <summary>Whether <see cref="FailOn"/> also fails unbinding (a null descriptor); by default only binding fails.</summary>
    public bool FailUnbinds { get; set; }

    public bool IsDisposed { get; private set; }

    public ulong? AckedFeatures { get; private set; }

    public IReadOnlyList<VhostMemoryRegion> MemoryTable { get; private set; } = [];

    public VhostRingAddresses?[] Rings { get; } = new VhostRingAddresses?[2];

    public int[] Kicks { get; } = [-1, -1];

    public int[] CallFds { get; } = [-1, -1];

    public int[] Backends { get; } = [-1, -1];

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_sync)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>The names alone, in order ("SetOwner", "GetFeatures", ...).</summary>
    public IReadOnlyList<string> CallNames => Calls.Select(c => c.Split('(')[0]).ToArray();

    public void ClearCalls()
    {
        lock (_sync)
        {
            _calls.Clear();
        }
    }

    /// <summary>What the kernel does when a ring has used buffers the guest should hear about: signals the call eventfd.</summary>
    public void SignalCall(int queue)
    {
        int fd = CallFds[queue];
        if (fd < 0)
        {
            throw new InvalidOperationException($"queue {queue} has no call eventfd");
        }
        using var borrowed = new FileDescriptor(fd, ownsHandle: false);
        borrowed.WriteAll(BitConverter.GetBytes(1UL));
    }

    public void SetOwner() => Record("SetOwner()");

    public ulong GetFeatures()
    {
        Record("GetFeatures()");
        return Features;
    }

    public void SetFeatures(ulong features)
    {
        Record($"SetFeatures(0x{features:x})");
        AckedFeatures = features;
    }

    public void SetMemoryTable(IReadOnlyList<VhostMemoryRegion> regions)
    {
        Record($"SetMemoryTable({regions.Count})");
        MemoryTable = regions.ToArray();
    }

    public void SetVringNum(int queue, ushort size) => Record($"SetVringNum({queue}, {size})");

    public void SetVringBase(int queue, ushort nextAvail) => Record($"SetVringBase({queue}, {nextAvail})");

    public ushort GetVringBase(int queue)
    {
        Record($"GetVringBase({queue})");
        return 0;
    }

    public void SetVringAddresses(int queue, VhostRingAddresses addresses)
    {
        Record($"SetVringAddresses({queue})");
        Rings[queue] = addresses;
    }

    public void SetVringKick(int queue, FileDescriptor? eventFd)
    {
        Record($"SetVringKick({queue}, {Number(eventFd)})", unbind: eventFd is null);
        Kicks[queue] = Number(eventFd);
    }

    public void SetVringCall(int queue, FileDescriptor? eventFd)
    {
        Record($"SetVringCall({queue}, {Number(eventFd)})", unbind: eventFd is null);
        CallFds[queue] = Number(eventFd);
    }

    public void SetBackend(int queue, FileDescriptor? backend)
    {
        Record($"SetBackend({queue}, {Number(backend)})", unbind: backend is null);
        Backends[queue] = Number(backend);
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _calls.Add("Dispose()");
            IsDisposed = true;
        }
    }

    private static int Number(FileDescriptor? descriptor) => descriptor?.Value ?? -1;

    private void Record(string call, bool unbind = false)
    {
        lock (_sync)
        {
            if (IsDisposed)
            {
                throw new ObjectDisposedException(nameof(FakeVhostNet), $"{call} after Dispose");
            }
            _calls.Add(call);
            if (FailOn is { } name && call.StartsWith(name, StringComparison.Ordinal) && (!unbind || FailUnbinds))
            {
                throw new LinuxException($"VHOST {name}", (int)FailWith);
            }
        }
    }
}

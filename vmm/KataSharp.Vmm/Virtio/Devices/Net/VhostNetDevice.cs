using KataSharp.Linux;
using KataSharp.Linux.Events;
using KataSharp.Linux.Files;
using KataSharp.Linux.Network;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Vhost;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>
/// virtio-net whose frames the host kernel's vhost-net moves between the guest's rings and the tap, while this
/// device keeps the control plane: features, config space (MAC, link status, MTU), the virtio-mmio transport, queue
/// setup and reset. Same guest-visible device as <see cref="NetDevice"/> (one queue pair: 0 receives, 1 transmits).
/// <para>
/// At DRIVER_OK the queues are handed to vhost: the negotiated ring features, guest RAM as its memory table, each
/// ring's size, base and addresses (translated to our mapping), the queue's ioeventfd as its kick (the transport does
/// not watch it: see <see cref="QueueNotificationsConsumedElsewhere"/>), one eventfd per queue as its call, then the
/// tap as both queues' backend. vhost signals a call when the guest is due an interrupt; the event loop turns it into
/// the used-buffer bit of InterruptStatus and the interrupt line (an irqfd straight into KVM would leave
/// InterruptStatus 0, and Linux's virtio_mmio handler then ignores the interrupt).
/// </para>
/// <para>
/// Reset and dispose unbind the backends first (vhost stops touching guest memory), then kick and call. A failed
/// activation (an ioctl refused, a ring outside RAM) is undone and parks the device until the driver resets it,
/// with one host log line per device. A teardown that vhost refuses closes the vhost instance: closing is what stops
/// it for sure, and later activations then fail cleanly.
/// </para>
/// </summary>
public sealed class VhostNetDevice : VirtioDevice
{
    /// <summary>The features vhost drives, of those the guest may negotiate; the net offload bits are the tap's
    /// (TUNSETOFFLOAD) and never reach vhost.</summary>
    public const ulong RingFeatures = VirtioFeatures.Version1 | VirtioFeatures.RingEventIdx | VirtioFeatures.RingIndirectDesc | NetFeatures.MrgRxbuf;

    private const int QueueCount = 2;

    private readonly INetBackend _backend;
    private readonly EventFd[] _calls = new EventFd[QueueCount];
    private readonly IDisposable?[] _callWatches = new IDisposable?[QueueCount];
    private readonly ulong _vhostFeatures;
    private IVhostNet? _vhost;
    private bool _handedOver;
    private bool _reportedFailure;
    private bool _disposed;

    /// <param name="name">Log name, e.g. "net0".</param>
    /// <param name="options">MAC and MTU; validated here.</param>
    /// <param name="backend">The tap; its <see cref="INetBackend.ReadinessDescriptor"/> is the descriptor vhost reads and
    /// writes. Owned by the device once constructed (disposed with it); still the caller's when this throws.</param>
    /// <param name="vhost">An open vhost-net instance, owned like <paramref name="backend"/>. Its owner is set here.</param>
    public VhostNetDevice(string name, NetOptions options, INetBackend backend, IVhostNet vhost, EventLoop loop, Action<string>? logSink = null)
        : base(name, queueCount: QueueCount, QueueLimits.DefaultMaxQueueSize, logSink)
    {
        options.Validate();
        Options = options;
        try
        {
            vhost.SetOwner();
            _vhostFeatures = vhost.GetFeatures();
        }
        catch (LinuxException e)
        {
            throw new NetDeviceException($"vhost-net cannot be set up: {e.Message}", e);
        }
        if ((_vhostFeatures & VirtioFeatures.Version1) == 0)
        {
            throw new NetDeviceException($"vhost-net offers features 0x{_vhostFeatures:x} without VIRTIO_F_VERSION_1: the host kernel is too old for a modern device; use net_datapath = \"userspace\"");
        }
        try
        {
            for (int i = 0; i < QueueCount; i++)
            {
                int queue = i;
                _calls[i] = EventFd.Create();
                _callWatches[i] = loop.Register(_calls[i].Descriptor.Value, EpollEvents.In, _ => OnCall(queue));
            }
        }
        catch
        {
            ReleaseCalls();
            throw;
        }
        _backend = backend;
        _vhost = vhost;
        Log($"data path: vhost-net (vhost features 0x{_vhostFeatures:x})");
    }

    public NetOptions Options { get; }

    /// <summary>Interrupts raised for vhost's calls, per queue (0 receive, 1 transmit).</summary>
    public long RxCalls { get; private set; }

    public long TxCalls { get; private set; }

    /// <summary>Activations that handed the queues to vhost.</summary>
    public int HandOvers { get; private set; }

    /// <summary>True while vhost owns the queues (a successful DRIVER_OK until reset).</summary>
    public bool IsHandedOver => _handedOver;

    /// <summary>The call eventfds (for tests: closed once the device is disposed).</summary>
    internal IReadOnlyList<EventFd> CallEvents => _calls;

    public override VirtioDeviceType DeviceType => VirtioDeviceType.Net;

    /// <summary>The ring features only as far as vhost drives them; the net offloads as the userspace device offers them.</summary>
    public override ulong OfferedFeatures =>
        ((VirtioFeatures.Common | NetFeatures.MrgRxbuf) & _vhostFeatures)
        | (NetFeatures.Offered & ~NetFeatures.MrgRxbuf)
        | (Options.Mtu is null ? 0 : NetFeatures.Mtu);

    public override int ConfigSize => NetConfig.Size;

    protected internal override bool QueueNotificationsConsumedElsewhere => true;

    protected override void RenderConfig(Span<byte> config) =>
        NetConfig.Render(config, Options.Mac, NetConfig.StatusLinkUp, Options.Mtu ?? 0);

    /// <summary>vhost processes the rings; nothing reaches here (the transport does not watch the kicks).</summary>
    protected override void ProcessQueue(int index)
    {
    }

    protected override void OnActivated()
    {
        if (HandOverProblem() is not { } problem)
        {
            _handedOver = true;
            HandOvers++;
            if (HandOvers == 1)
            {
                Log($"vhost-net owns the queues (features 0x{AckedFeatures & RingFeatures:x}, tap offloads {NetDevice.OffloadsFor(AckedFeatures)})");
            }
            return;
        }
        TakeBack();
        if (!_reportedFailure)
        {
            _reportedFailure = true;
            ReportHostProblem($"vhost-net activation failed, device parked until the driver resets it: {problem} (further failures are not logged)");
        }
        Fail($"vhost-net activation failed: {problem}");
    }

    protected override void OnReset() => TakeBack();

    /// <summary>The activation sequence; the problem when a step fails (what succeeded is undone by <see cref="TakeBack"/>).</summary>
    private string? HandOverProblem()
    {
        if (_vhost is not { } vhost)
        {
            return "the vhost-net instance was closed after an earlier teardown failure";
        }
        // From the first ioctl on, vhost may hold state that a reset must undo.
        _handedOver = true;
        try
        {
            vhost.SetFeatures(AckedFeatures & RingFeatures);
            vhost.SetMemoryTable(MemoryTable(Memory));
            for (int i = 0; i < QueueCount; i++)
            {
                VirtQueue queue = Queues[i];
                if (RingAddresses(Memory, queue) is not { } addresses)
                {
                    return $"queue {i}: a ring is not inside one region of guest RAM";
                }
                vhost.SetVringNum(i, queue.Size);
                vhost.SetVringBase(i, 0);
                vhost.SetVringAddresses(i, addresses);
                vhost.SetVringKick(i, Transport.QueueNotifyDescriptor(i));
                vhost.SetVringCall(i, _calls[i].Descriptor);
            }
            _backend.SetReceiveOffloads(NetDevice.OffloadsFor(AckedFeatures));
            for (int i = 0; i < QueueCount; i++)
            {
                vhost.SetBackend(i, _backend.ReadinessDescriptor);
            }
            return null;
        }
        catch (LinuxException e)
        {
            return e.Message;
        }
    }

    /// <summary>Guest RAM as vhost's memory table: guest-physical start, size, and where it is mapped in this process.</summary>
    public static VhostMemoryRegion[] MemoryTable(GuestMemory memory) =>
        memory.Regions.Select(r => new VhostMemoryRegion(r.Start.Value, r.Size, r.HostAddress)).ToArray();

    /// <summary>The queue's rings as addresses in our mapping; null when one is not wholly inside one RAM region (the
    /// transport's validation already refuses that, but vhost must never be handed a guess).</summary>
    public static VhostRingAddresses? RingAddresses(GuestMemory memory, VirtQueue queue)
    {
        ulong size = queue.Size;
        ulong? descriptors = UserAddress(memory, queue.DescriptorTable, size * VirtqDescriptor.Size);
        ulong? avail = UserAddress(memory, queue.AvailRing, 6 + 2 * size);
        ulong? used = UserAddress(memory, queue.UsedRing, 6 + 8 * size);
        return descriptors is { } d && avail is { } a && used is { } u ? new VhostRingAddresses(d, a, u) : null;
    }

    private static ulong? UserAddress(GuestMemory memory, GuestAddress address, ulong length)
    {
        foreach (GuestMemoryRegion region in memory.Regions)
        {
            if (region.Contains(address, length))
            {
                return region.HostAddress + (address.Value - region.Start.Value);
            }
        }
        return null;
    }

    /// <summary>
    /// Takes the queues back from vhost: backends unbound first (from then on vhost touches no guest memory), the
    /// ring bases read (which also stops the rings), kick and call unbound, the tap's offloads cleared. Idempotent.
    /// When vhost refuses any of it the instance is closed, which stops everything it did.
    /// </summary>
    private void TakeBack()
    {
        if (!_handedOver)
        {
            return;
        }
        _handedOver = false;
        if (_vhost is { } vhost)
        {
            try
            {
                for (int i = 0; i < QueueCount; i++)
                {
                    vhost.SetBackend(i, null);
                }
                for (int i = 0; i < QueueCount; i++)
                {
                    vhost.GetVringBase(i);
                    vhost.SetVringKick(i, null);
                    vhost.SetVringCall(i, null);
                }
            }
            catch (LinuxException e)
            {
                ReportHostProblem($"vhost-net refused to give the queues back ({e.Message}): closing it; the device is unusable until the VM restarts");
                vhost.Dispose();
                _vhost = null;
            }
        }
        try
        {
            _backend.SetReceiveOffloads(TunOffloads.None);
        }
        catch (LinuxException e)
        {
            ReportHostProblem($"resetting the tap's offloads failed: {e.Message}");
        }
    }

    /// <summary>vhost signalled a queue's call eventfd: raise the used-buffer interrupt the way the userspace device does.</summary>
    private void OnCall(int queue)
    {
        _calls[queue].Drain();
        lock (Sync)
        {
            // A call that raced with a reset belongs to the old rings: the driver must not see it.
            if (!_handedOver || !IsActivated || IsFailed)
            {
                return;
            }
            if (queue == 0)
            {
                RxCalls++;
            }
            else
            {
                TxCalls++;
            }
            Transport.SignalUsedBuffers();
        }
    }

    private void ReleaseCalls()
    {
        foreach (IDisposable? watch in _callWatches)
        {
            watch?.Dispose();
        }
        foreach (EventFd? call in _calls)
        {
            call?.Dispose();
        }
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        // Unwatch first, without the device lock: the loop may be waiting for that lock in OnCall.
        foreach (IDisposable? watch in _callWatches)
        {
            watch?.Dispose();
        }
        if (TryEnterForDispose())
        {
            try
            {
                _disposed = true;
                TakeBack();
                Log($"vhost counters: hand_overs={HandOvers} rx_interrupts={RxCalls} tx_interrupts={TxCalls}");
                _vhost?.Dispose();
                _vhost = null;
                _backend.Dispose();
                foreach (EventFd call in _calls)
                {
                    call.Dispose();
                }
            }
            finally
            {
                Monitor.Exit(Sync);
            }
        }
        base.Dispose();
    }
}

using System.Buffers.Binary;
using KataSharp.Linux.Events;
using KataSharp.Vmm.Devices;
using KataSharp.Vmm.Events;
using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>
/// virtio-mmio version 2 (modern only): the register window in front of one <see cref="VirtioDevice"/>.
/// Decodes every register, walks the status handshake through <see cref="DeviceStatusMachine"/>,
/// pages features through the select registers, lets the driver write queue fields only between
/// FEATURES_OK and DRIVER_OK, activates the device once at DRIVER_OK, and owns the interrupt status
/// (several transports may share one interrupt line; the guest tells them apart by this register).
/// Queue notifications arrive on one eventfd per queue (a KVM ioeventfd, or signalled here when a
/// QueueNotify write reaches us as an MMIO exit) and are handled on the event loop, or handed by it to the device's
/// own thread (virtio-blk).
/// Guest mistakes are reported to the device's <see cref="GuestErrorLog"/> and ignored: nothing a guest
/// writes throws out of <see cref="Read"/>/<see cref="Write"/>.
/// </summary>
public sealed class MmioTransport : IBusDevice, IVirtioTransport, IDisposable
{
    private readonly VirtioDevice _device;
    private readonly IInterruptLine _interrupt;
    private readonly GuestMemory _memory;
    private readonly EventFd[] _queueEvents;
    private readonly IDisposable?[] _registrations;
    private DeviceStatus _status;
    private uint _deviceFeaturesSelect;
    private uint _driverFeaturesSelect;
    private ulong _driverFeatures;
    private uint _queueSelect;
    private uint _configGeneration;
    private int _interruptStatus;
    private bool _disposed;
    private int _internalErrors;

    public MmioTransport(VirtioDevice device, IInterruptLine interrupt, GuestMemory memory, EventLoop loop)
    {
        _device = device;
        _interrupt = interrupt;
        _memory = memory;
        device.AttachTransport(this);
        int count = device.Queues.Count;
        _queueEvents = new EventFd[count];
        _registrations = new IDisposable[count];
        for (int i = 0; i < count; i++)
        {
            int index = i;
            _queueEvents[i] = EventFd.Create();
            if (device.QueueNotificationsConsumedElsewhere)
            {
                continue; // vhost reads them; the loop waking on every kick would cost a context switch each
            }
            _registrations[i] = loop.Register(_queueEvents[i].Descriptor.Value, EpollEvents.In, _ => OnQueueEvent(index));
        }
    }

    public VirtioDevice Device => _device;

    /// <summary>One eventfd per queue; the device manager registers each as a KVM ioeventfd on
    /// QueueNotify with the queue index as datamatch.</summary>
    public IReadOnlyList<EventFd> QueueEvents => _queueEvents;

    public IInterruptLine Interrupt => _interrupt;

    public DeviceStatus Status
    {
        get
        {
            lock (_device.Sync)
            {
                return _status;
            }
        }
    }

    public uint ConfigGeneration
    {
        get
        {
            lock (_device.Sync)
            {
                return _configGeneration;
            }
        }
    }

    public InterruptStatus PendingInterrupts => (InterruptStatus)Volatile.Read(ref _interruptStatus);

    /// <summary>Device bugs the transport contained (an exception out of queue processing or activation): the
    /// device was parked instead of the loop going down. Always zero unless the device model has a bug.</summary>
    internal int InternalErrors => Volatile.Read(ref _internalErrors);

    /// <summary>The last of <see cref="InternalErrors"/>, for diagnosis.</summary>
    internal Exception? LastInternalError { get; private set; }

    public void Read(ulong offset, Span<byte> data)
    {
        if (offset >= MmioRegister.Config)
        {
            lock (_device.Sync)
            {
                _device.ReadConfig(offset - MmioRegister.Config, data);
            }
            return;
        }
        data.Clear();
        if (data.Length != 4 || offset % 4 != 0)
        {
            _device.GuestErrors.Report($"{data.Length}-byte read at register 0x{offset:x}; registers are 32-bit aligned");
            return;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(data, ReadRegister((uint)offset));
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (offset >= MmioRegister.Config)
        {
            lock (_device.Sync)
            {
                if (offset - MmioRegister.Config > uint.MaxValue || !_device.WriteConfig((uint)(offset - MmioRegister.Config), data))
                {
                    _device.GuestErrors.Report($"ignored {data.Length}-byte write to read-only config offset 0x{offset - MmioRegister.Config:x}");
                }
            }
            return;
        }
        if (data.Length != 4 || offset % 4 != 0)
        {
            _device.GuestErrors.Report($"{data.Length}-byte write at register 0x{offset:x}; registers are 32-bit aligned");
            return;
        }
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(data);
        switch ((uint)offset)
        {
            case MmioRegister.QueueNotify:
                // The hot path needs no lock: the eventfd hands the kick to the event loop.
                if (value < (uint)_queueEvents.Length)
                {
                    _queueEvents[value].Signal();
                }
                else
                {
                    _device.GuestErrors.Report($"notify for queue {value}, which does not exist");
                }
                return;
            case MmioRegister.InterruptAck:
                Interlocked.And(ref _interruptStatus, ~(int)value);
                return;
        }
        lock (_device.Sync)
        {
            WriteRegister((uint)offset, value);
        }
    }

    private uint ReadRegister(uint offset)
    {
        switch (offset)
        {
            case MmioRegister.MagicValue:
                return MmioRegister.Magic;
            case MmioRegister.Version:
                return MmioRegister.ModernVersion;
            case MmioRegister.DeviceId:
                return (uint)_device.DeviceType;
            case MmioRegister.VendorId:
                return MmioRegister.KataSharpVendor;
            case MmioRegister.InterruptStatus:
                return (uint)Volatile.Read(ref _interruptStatus);
            case MmioRegister.ShmLenLow:
            case MmioRegister.ShmLenHigh:
            case MmioRegister.ShmBaseLow:
            case MmioRegister.ShmBaseHigh:
                // Length ~0 tells the driver the selected shared memory region does not exist.
                return uint.MaxValue;
        }
        lock (_device.Sync)
        {
            VirtQueue? queue = SelectedQueue;
            return offset switch
            {
                MmioRegister.DeviceFeatures => _deviceFeaturesSelect < 2 ? (uint)(_device.OfferedFeatures >> (int)(32 * _deviceFeaturesSelect)) : 0,
                MmioRegister.QueueNumMax => queue?.MaxSize ?? 0,
                MmioRegister.QueueNum => queue?.Size ?? 0,
                MmioRegister.QueueReady => queue is { IsReady: true } ? 1u : 0u,
                MmioRegister.Status => (uint)_status,
                MmioRegister.ConfigGeneration => _configGeneration,
                MmioRegister.QueueDescLow => (uint)(queue?.DescriptorTable.Value ?? 0),
                MmioRegister.QueueDescHigh => (uint)((queue?.DescriptorTable.Value ?? 0) >> 32),
                MmioRegister.QueueDriverLow => (uint)(queue?.AvailRing.Value ?? 0),
                MmioRegister.QueueDriverHigh => (uint)((queue?.AvailRing.Value ?? 0) >> 32),
                MmioRegister.QueueDeviceLow => (uint)(queue?.UsedRing.Value ?? 0),
                MmioRegister.QueueDeviceHigh => (uint)((queue?.UsedRing.Value ?? 0) >> 32),
                _ => ReportUnknownRead(offset),
            };
        }
    }

    private uint ReportUnknownRead(uint offset)
    {
        _device.GuestErrors.Report($"read of write-only or unknown register 0x{offset:x}");
        return 0;
    }

    private void WriteRegister(uint offset, uint value)
    {
        switch (offset)
        {
            case MmioRegister.DeviceFeaturesSel:
                _deviceFeaturesSelect = value;
                return;
            case MmioRegister.DriverFeaturesSel:
                _driverFeaturesSelect = value;
                return;
            case MmioRegister.DriverFeatures:
                WriteDriverFeatures(value);
                return;
            case MmioRegister.QueueSel:
                _queueSelect = value;
                return;
            case MmioRegister.Status:
                WriteStatus((DeviceStatus)value);
                return;
            case MmioRegister.ShmSel:
                return;
            case MmioRegister.QueueNum:
            case MmioRegister.QueueReady:
            case MmioRegister.QueueDescLow:
            case MmioRegister.QueueDescHigh:
            case MmioRegister.QueueDriverLow:
            case MmioRegister.QueueDriverHigh:
            case MmioRegister.QueueDeviceLow:
            case MmioRegister.QueueDeviceHigh:
                WriteQueueField(offset, value);
                return;
            default:
                _device.GuestErrors.Report($"write of 0x{value:x} to read-only or unknown register 0x{offset:x}");
                return;
        }
    }

    private VirtQueue? SelectedQueue =>
        _queueSelect < (uint)_device.Queues.Count ? _device.Queues[(int)_queueSelect] : null;

    private void WriteDriverFeatures(uint value)
    {
        if (_status != (DeviceStatus.Acknowledge | DeviceStatus.Driver))
        {
            _device.GuestErrors.Report($"driver features written in status {_status}; only allowed in ACKNOWLEDGE|DRIVER");
            return;
        }
        if (_driverFeaturesSelect >= 2)
        {
            if (value != 0)
            {
                _device.GuestErrors.Report($"driver features page {_driverFeaturesSelect} does not exist");
            }
            return;
        }
        int shift = (int)(32 * _driverFeaturesSelect);
        _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift);
    }

    private void WriteQueueField(uint offset, uint value)
    {
        if ((_status & (DeviceStatus.FeaturesOk | DeviceStatus.DriverOk | DeviceStatus.Failed | DeviceStatus.DeviceNeedsReset)) != DeviceStatus.FeaturesOk)
        {
            _device.GuestErrors.Report($"queue register 0x{offset:x} written in status {_status}; only allowed after FEATURES_OK and before DRIVER_OK");
            return;
        }
        if (SelectedQueue is not { } queue)
        {
            _device.GuestErrors.Report($"queue register 0x{offset:x} written for queue {_queueSelect}, which does not exist");
            return;
        }
        switch (offset)
        {
            case MmioRegister.QueueNum:
                queue.Size = (ushort)Math.Min(value, ushort.MaxValue);
                break;
            case MmioRegister.QueueReady:
                queue.IsReady = value == 1;
                break;
            case MmioRegister.QueueDescLow:
                queue.DescriptorTable = new GuestAddress(SetLow(queue.DescriptorTable.Value, value));
                break;
            case MmioRegister.QueueDescHigh:
                queue.DescriptorTable = new GuestAddress(SetHigh(queue.DescriptorTable.Value, value));
                break;
            case MmioRegister.QueueDriverLow:
                queue.AvailRing = new GuestAddress(SetLow(queue.AvailRing.Value, value));
                break;
            case MmioRegister.QueueDriverHigh:
                queue.AvailRing = new GuestAddress(SetHigh(queue.AvailRing.Value, value));
                break;
            case MmioRegister.QueueDeviceLow:
                queue.UsedRing = new GuestAddress(SetLow(queue.UsedRing.Value, value));
                break;
            case MmioRegister.QueueDeviceHigh:
                queue.UsedRing = new GuestAddress(SetHigh(queue.UsedRing.Value, value));
                break;
        }
    }

    private static ulong SetLow(ulong current, uint value) => (current & 0xFFFF_FFFF_0000_0000UL) | value;

    private static ulong SetHigh(ulong current, uint value) => (current & 0xFFFF_FFFFUL) | ((ulong)value << 32);

    private void WriteStatus(DeviceStatus written)
    {
        StatusChange change = DeviceStatusMachine.Classify(_status, written);
        switch (change)
        {
            case StatusChange.Reset:
                ResetDevice();
                return;
            case StatusChange.Acknowledge:
            case StatusChange.Driver:
                _status = written;
                return;
            case StatusChange.Failed:
                _status |= DeviceStatus.Failed;
                return;
            case StatusChange.FeaturesOk:
                AcceptFeatures(written);
                return;
            case StatusChange.DriverOk:
                _status = written | (_status & DeviceStatus.DeviceNeedsReset);
                string? problem;
                try
                {
                    problem = _device.Activate(_memory, _driverFeatures);
                }
                catch (Exception e)
                {
                    RecordInternalError(e);
                    problem = $"{e.GetType().Name}: {e.Message}";
                }
                if (problem is not null)
                {
                    _device.Fail($"activation refused: {problem}");
                }
                return;
            default:
                _device.GuestErrors.Report($"status write {written} refused in status {_status}");
                return;
        }
    }

    private void AcceptFeatures(DeviceStatus written)
    {
        ulong unoffered = _driverFeatures & ~_device.OfferedFeatures;
        if (unoffered != 0)
        {
            _device.GuestErrors.Report($"FEATURES_OK refused: driver asked for unoffered features 0x{unoffered:x}");
            return;
        }
        if ((_driverFeatures & VirtioFeatures.Version1) == 0)
        {
            _device.GuestErrors.Report("FEATURES_OK refused: driver did not accept VERSION_1 (legacy drivers are not supported)");
            return;
        }
        _device.AcceptFeatures(_driverFeatures);
        _status = written;
    }

    private void ResetDevice()
    {
        _device.Reset();
        _status = DeviceStatus.Reset;
        _deviceFeaturesSelect = 0;
        _driverFeaturesSelect = 0;
        _driverFeatures = 0;
        _queueSelect = 0;
        Volatile.Write(ref _interruptStatus, 0);
    }

    private void OnQueueEvent(int index)
    {
        _queueEvents[index].Drain();
        if (!_device.HandOffNotification(index, wait: false))
        {
            ProcessOnThisThread(index);
        }
    }

    /// <summary>Runs queue <paramref name="index"/>'s handler on the calling thread (a test that wants deterministic
    /// steps), or, for a device that serves its queues on its own thread, has that thread run one turn and waits for it.
    /// Never throws, except <see cref="TimeoutException"/> when such a thread does not finish the turn in time.</summary>
    internal void ProcessQueueNow(int index)
    {
        if (!_device.HandOffNotification(index, wait: true))
        {
            ProcessOnThisThread(index);
        }
    }

    private void ProcessOnThisThread(int index)
    {
        lock (_device.Sync)
        {
            try
            {
                _device.HandleQueueNotification(index);
            }
            catch (Exception e)
            {
                // A device bug must not take the event loop down with it: park the device instead.
                RecordInternalError(e);
                _device.Fail($"internal error while processing queue {index}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private void RecordInternalError(Exception e)
    {
        LastInternalError = e;
        Interlocked.Increment(ref _internalErrors);
    }

    void IVirtioTransport.SignalUsedBuffers() => Raise(InterruptStatus.UsedBuffer);

    void IVirtioTransport.SignalConfigChanged(bool raiseInterrupt)
    {
        _configGeneration++;
        if (raiseInterrupt)
        {
            Raise(InterruptStatus.ConfigChange);
        }
    }

    /// <inheritdoc cref="IVirtioTransport.SetNeedsReset"/>
    public void SetNeedsReset(string reason)
    {
        lock (_device.Sync)
        {
            if ((_status & DeviceStatus.DeviceNeedsReset) != 0)
            {
                return;
            }
            _device.GuestErrors.Report($"device needs reset: {reason}");
            _status |= DeviceStatus.DeviceNeedsReset;
            _configGeneration++;
            Raise(InterruptStatus.ConfigChange);
        }
    }

    void IVirtioTransport.ReportInternalError(Exception error, string what)
    {
        RecordInternalError(error);
        lock (_device.Sync)
        {
            _device.Fail($"internal error {what}: {error.GetType().Name}: {error.Message}");
        }
    }

    KataSharp.Linux.Files.FileDescriptor IVirtioTransport.QueueNotifyDescriptor(int queueIndex) => _queueEvents[queueIndex].Descriptor;

    void IVirtioTransport.RequeueNotification(int queueIndex) => _queueEvents[queueIndex].Signal();

    private void Raise(InterruptStatus reason)
    {
        Interlocked.Or(ref _interruptStatus, (int)reason);
        _interrupt.Trigger();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (IDisposable? registration in _registrations)
        {
            registration?.Dispose();
        }
        foreach (EventFd fd in _queueEvents)
        {
            fd.Dispose();
        }
    }
}

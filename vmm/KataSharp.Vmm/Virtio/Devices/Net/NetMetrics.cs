namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>Counters of one virtio-net device (updated under the device lock; readable from any thread).</summary>
public sealed class NetMetrics
{
    private readonly long[] _dropped = new long[Enum.GetValues<NetDropReason>().Length];

    /// <summary>Frames handed to the guest.</summary>
    public long RxFrames { get; internal set; }

    /// <summary>Ethernet bytes handed to the guest (virtio_net_hdr excluded).</summary>
    public long RxBytes { get; internal set; }

    /// <summary>Frames from the guest written to the tap.</summary>
    public long TxFrames { get; internal set; }

    /// <summary>Ethernet bytes from the guest written to the tap (virtio_net_hdr excluded).</summary>
    public long TxBytes { get; internal set; }

    /// <summary>Times RX stopped with a frame waiting because the guest had posted no (or too few) buffers.</summary>
    public long RxWaitsForBuffers { get; internal set; }

    /// <summary>Turns of the RX queue started by the guest's notification (a kick after it posted buffers) or a requeue.</summary>
    public long RxNotifications { get; internal set; }

    /// <summary>Turns of the TX queue started by the guest's notification or a requeue.</summary>
    public long TxNotifications { get; internal set; }

    /// <summary>Turns of RX started because the tap became readable (or the device was activated).</summary>
    public long RxWakeups { get; internal set; }

    /// <summary>Used-buffer interrupts raised after an RX turn.</summary>
    public long RxInterrupts { get; internal set; }

    /// <summary>Used-buffer interrupts raised after a TX turn.</summary>
    public long TxInterrupts { get; internal set; }

    /// <summary>Tap reads or writes that failed for another reason than "nothing to read" / "link down".</summary>
    public long BackendErrors { get; internal set; }

    /// <summary>Frames dropped for <paramref name="reason"/>.</summary>
    public long Dropped(NetDropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    /// <summary>Frames dropped for any reason.</summary>
    public long TotalDropped => Enum.GetValues<NetDropReason>().Sum(Dropped);

    internal void Drop(NetDropReason reason) => _dropped[(int)reason]++;

    /// <summary>One line of every counter, for a log: the averages that say where a stream's time goes
    /// (bytes per frame, frames per notification and per interrupt) follow from it.</summary>
    public string Summary() =>
        $"rx_frames={RxFrames} rx_bytes={RxBytes} tx_frames={TxFrames} tx_bytes={TxBytes} " +
        $"rx_notifications={RxNotifications} tx_notifications={TxNotifications} rx_wakeups={RxWakeups} " +
        $"rx_interrupts={RxInterrupts} tx_interrupts={TxInterrupts} rx_waits_for_buffers={RxWaitsForBuffers} " +
        $"dropped={TotalDropped} backend_errors={BackendErrors}";
}

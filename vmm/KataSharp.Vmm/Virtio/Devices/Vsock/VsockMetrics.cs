namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>Counters of the vsock device (updated under the device lock).</summary>
public sealed class VsockMetrics
{
    public long PacketsFromGuest { get; internal set; }

    public long PacketsToGuest { get; internal set; }

    public long BytesFromGuest { get; internal set; }

    public long BytesToGuest { get; internal set; }

    public long ConnectionsOpened { get; internal set; }

    public long ResetsSent { get; internal set; }

    /// <summary>Guest packets that broke the protocol (credit overrun, bad CID, bad length...).</summary>
    public long ProtocolViolations { get; internal set; }
}

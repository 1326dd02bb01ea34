namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>
/// Lifecycle of one vsock stream between a host socket and a guest port (after Firecracker's
/// <c>csm::ConnState</c>). Half-closes are tracked as shutdown flags inside <see cref="Established"/>;
/// <see cref="VsockConnectionTransitions"/> lists the allowed moves.
/// </summary>
public enum VsockConnectionState
{
    /// <summary>Host-initiated: REQUEST queued or sent, waiting for the guest's RESPONSE.</summary>
    LocalInit,

    /// <summary>Guest-initiated: the host listener accepted, RESPONSE queued for the guest.</summary>
    PeerInit,

    /// <summary>Data flows (possibly half-closed).</summary>
    Established,

    /// <summary>Winding down: draining buffered data to the host and/or waiting for the guest's RST.</summary>
    Closing,

    /// <summary>Gone: host socket closed, entry removed.</summary>
    Closed,
}

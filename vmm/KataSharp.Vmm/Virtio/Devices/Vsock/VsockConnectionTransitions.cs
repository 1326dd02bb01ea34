namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>The allowed <see cref="VsockConnectionState"/> transitions.</summary>
public static class VsockConnectionTransitions
{
    public static readonly IReadOnlyDictionary<VsockConnectionState, VsockConnectionState[]> Allowed =
        new Dictionary<VsockConnectionState, VsockConnectionState[]>
        {
            [VsockConnectionState.LocalInit] = [VsockConnectionState.Established, VsockConnectionState.Closed],
            [VsockConnectionState.PeerInit] = [VsockConnectionState.Established, VsockConnectionState.Closed],
            [VsockConnectionState.Established] = [VsockConnectionState.Closing, VsockConnectionState.Closed],
            [VsockConnectionState.Closing] = [VsockConnectionState.Closed],
            [VsockConnectionState.Closed] = [],
        };
}

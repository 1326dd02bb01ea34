namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>What a connection has to tell the guest, one bit per kind (so pending work is bounded per
/// connection). <see cref="VsockConnection.TryWriteNext"/> serves them in declaration order.</summary>
[Flags]
public enum VsockPendingRx
{
    None = 0,
    Rst = 1,
    Request = 2,
    Response = 4,
    CreditUpdate = 8,
    Data = 16,
    Shutdown = 32,
    CreditRequest = 64,
}

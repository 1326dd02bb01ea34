namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>virtio_vsock_hdr.op (virtio spec 1.2 §5.10.6).</summary>
public enum VsockOp : ushort
{
    Invalid = 0,
    Request = 1,
    Response = 2,
    Rst = 3,
    Shutdown = 4,
    ReadWrite = 5,
    CreditUpdate = 6,
    CreditRequest = 7,
}

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>SHUTDOWN flags: which direction the sender closes.</summary>
[Flags]
public enum VsockShutdown : uint
{
    None = 0,

    /// <summary>The sender will receive no more data.</summary>
    Receive = 1,

    /// <summary>The sender will send no more data.</summary>
    Send = 2,

    Both = Receive | Send,
}

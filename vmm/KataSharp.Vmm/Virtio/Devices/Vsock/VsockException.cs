namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>A host-side vsock failure: a socket path that cannot be used, a guest that refused or
/// did not answer a connection.</summary>
public sealed class VsockException : Exception
{
    public VsockException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

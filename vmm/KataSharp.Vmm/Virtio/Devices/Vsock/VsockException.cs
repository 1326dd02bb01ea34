using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Virtio.Devices.Vsock;

/// <summary>A host-side vsock failure: a socket path that cannot be used, a guest that refused or
/// did not answer a connection.</summary>
public sealed class VsockException : VmmException
{
    public VsockException(string message, Exception? inner = null) : base(VmmFailure.BadConfiguration, message, inner)
    {
    }
}

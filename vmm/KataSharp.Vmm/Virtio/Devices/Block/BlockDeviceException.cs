using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>A host-side block device problem (a disk image that cannot be used), named with its fix.</summary>
public sealed class BlockDeviceException : VmmException
{
    /// <param name="failure">Whose problem it is: the medium's (the default), or the host's (a worker stuck in a request).</param>
    public BlockDeviceException(string message, Exception? inner = null, VmmFailure failure = VmmFailure.BadConfiguration) : base(failure, message, inner)
    {
    }
}

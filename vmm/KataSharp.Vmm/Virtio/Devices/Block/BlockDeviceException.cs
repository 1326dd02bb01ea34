using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Virtio.Devices.Block;

/// <summary>A host-side block device problem (a disk image that cannot be used), named with its fix.</summary>
public sealed class BlockDeviceException : VmmException
{
    public BlockDeviceException(string message, Exception? inner = null) : base(VmmFailure.BadConfiguration, message, inner)
    {
    }
}

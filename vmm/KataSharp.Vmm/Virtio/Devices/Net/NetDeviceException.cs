using KataSharp.Vmm.Errors;

namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>A host-side virtio-net problem (a tap that cannot be used, a bad MAC or MTU), named with its fix.</summary>
public sealed class NetDeviceException : VmmException
{
    public NetDeviceException(string message, Exception? inner = null) : base(VmmFailure.BadConfiguration, message, inner)
    {
    }
}

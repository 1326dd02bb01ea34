using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Rng;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>A virtio-rng device fed by the host's getrandom.</summary>
public sealed record RngDeviceSpec() : VirtioDeviceSpec("rng")
{
    public override VirtioDevice Create(EventLoop loop) => new RngDevice(Name);
}

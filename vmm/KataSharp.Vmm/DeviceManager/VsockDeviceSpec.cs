using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Vsock;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>The vsock device: the guest's CID and the hybrid-vsock unix socket (null = in-process connections only).</summary>
public sealed record VsockDeviceSpec(uint GuestCid, string? SocketPath) : VirtioDeviceSpec("vsock")
{
    public override VirtioDevice Create(EventLoop loop) => new VsockDevice(new VsockOptions(GuestCid, SocketPath), loop, Name);
}

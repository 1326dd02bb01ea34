namespace KataSharp.Vmm.Virtio.Devices.Net;

/// <summary>Who moves a virtio-net device's frames between the guest's rings and the tap.</summary>
public enum NetDatapath
{
    /// <summary>This process (<see cref="NetDevice"/>): validated headers and per-device counters, one copy per frame
    /// through our event loop thread (what Firecracker does).</summary>
    Userspace,

    /// <summary>The host kernel's vhost-net (<see cref="VhostNetDevice"/>): no exit to our process per frame (what
    /// Kata with QEMU does by default); needs /dev/vhost-net.</summary>
    Vhost,
}

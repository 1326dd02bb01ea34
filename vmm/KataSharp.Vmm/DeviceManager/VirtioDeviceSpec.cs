using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>A virtio device to create, as configuration (CLI options, the shim's sandbox plan).</summary>
public abstract record VirtioDeviceSpec(string Name)
{
    /// <summary>Creates the device; throws a device-specific exception naming the problem (missing file...).</summary>
    public abstract VirtioDevice Create(EventLoop loop);

    /// <summary>Frees what the spec owns when it will never be created (the machine failed first). Nothing by default.</summary>
    public virtual void Abandon()
    {
    }
}

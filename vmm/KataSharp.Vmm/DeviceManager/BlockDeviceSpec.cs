using KataSharp.Vmm.Events;
using KataSharp.Vmm.Virtio;
using KataSharp.Vmm.Virtio.Devices.Block;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>A virtio-blk slot: <paramref name="Path"/> null = empty (capacity 0 until a medium is attached).</summary>
public sealed record BlockDeviceSpec(string Name, string? Path, bool ReadOnly, string? Serial = null) : VirtioDeviceSpec(Name)
{
    public override VirtioDevice Create(EventLoop loop) => new BlockDevice(Name, ReadOnly, Serial, Path);
}

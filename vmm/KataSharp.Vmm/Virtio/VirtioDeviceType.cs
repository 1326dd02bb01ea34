namespace KataSharp.Vmm.Virtio;

/// <summary>Virtio device IDs (virtio spec 1.2 §5) for the devices KataSharp implements.</summary>
public enum VirtioDeviceType : uint
{
    Net = 1,
    Block = 2,
    Console = 3,
    Rng = 4,
    Vsock = 19,
}

namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>
/// virtio-mmio version 2 register offsets (virtio spec 1.2 §4.2.2). Registers below
/// <see cref="Config"/> are 32 bits wide; device-specific configuration starts at <see cref="Config"/>.
/// </summary>
public static class MmioRegister
{
    public const uint MagicValue = 0x000;
    public const uint Version = 0x004;
    public const uint DeviceId = 0x008;
    public const uint VendorId = 0x00c;
    public const uint DeviceFeatures = 0x010;
    public const uint DeviceFeaturesSel = 0x014;
    public const uint DriverFeatures = 0x020;
    public const uint DriverFeaturesSel = 0x024;
    public const uint QueueSel = 0x030;
    public const uint QueueNumMax = 0x034;
    public const uint QueueNum = 0x038;
    public const uint QueueReady = 0x044;

    /// <summary>Queue kick; KVM ioeventfds watch this address with the queue index as datamatch.</summary>
    public const uint QueueNotify = 0x050;

    public const uint InterruptStatus = 0x060;
    public const uint InterruptAck = 0x064;
    public const uint Status = 0x070;
    public const uint QueueDescLow = 0x080;
    public const uint QueueDescHigh = 0x084;
    public const uint QueueDriverLow = 0x090;
    public const uint QueueDriverHigh = 0x094;
    public const uint QueueDeviceLow = 0x0a0;
    public const uint QueueDeviceHigh = 0x0a4;
    public const uint ShmSel = 0x0ac;
    public const uint ShmLenLow = 0x0b0;
    public const uint ShmLenHigh = 0x0b4;
    public const uint ShmBaseLow = 0x0b8;
    public const uint ShmBaseHigh = 0x0bc;
    public const uint ConfigGeneration = 0x0fc;
    public const uint Config = 0x100;

    /// <summary>"virt" in little-endian ASCII.</summary>
    public const uint Magic = 0x7472_6976;

    /// <summary>Modern virtio-mmio; legacy (1) is not offered.</summary>
    public const uint ModernVersion = 2;

    /// <summary>"KSHP": identifies KataSharp to a curious driver; Linux ignores it.</summary>
    public const uint KataSharpVendor = 0x5048_534b;
}

namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>The device status register bits (virtio spec 1.2 §2.1).</summary>
[Flags]
public enum DeviceStatus : uint
{
    /// <summary>Written by the driver: reset.</summary>
    Reset = 0,
    Acknowledge = 1,
    Driver = 2,
    DriverOk = 4,
    FeaturesOk = 8,

    /// <summary>Set by the device after a fatal guest error; cleared only by a reset.</summary>
    DeviceNeedsReset = 64,

    /// <summary>Set by the driver when it gave up; sticky until reset.</summary>
    Failed = 128,
}

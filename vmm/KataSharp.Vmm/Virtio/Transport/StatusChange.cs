namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>What a write to the Status register asks for, once classified by <see cref="DeviceStatusMachine"/>.</summary>
public enum StatusChange
{
    /// <summary>Writing 0: reset the device.</summary>
    Reset,
    Acknowledge,
    Driver,

    /// <summary>Needs the feature check on top (VERSION_1 acked, nothing unoffered).</summary>
    FeaturesOk,

    /// <summary>Activates the device, once.</summary>
    DriverOk,

    /// <summary>The driver gave up; sticky until reset.</summary>
    Failed,

    /// <summary>Not in the whitelist: ignored and reported.</summary>
    Invalid,
}

namespace KataSharp.Vmm.Virtio.Transport;

/// <summary>
/// The virtio initialisation handshake as a whitelist (virtio spec 1.2 §3.1.1): the driver writes the
/// full status each time, adding one bit per step. Anything not listed is invalid. DEVICE_NEEDS_RESET is
/// the device's bit: a driver echoing it back does not change the classification.
/// </summary>
public static class DeviceStatusMachine
{
    private const DeviceStatus Ack = DeviceStatus.Acknowledge;
    private const DeviceStatus AckDriver = Ack | DeviceStatus.Driver;
    private const DeviceStatus AckDriverFeatures = AckDriver | DeviceStatus.FeaturesOk;
    private const DeviceStatus Live = AckDriverFeatures | DeviceStatus.DriverOk;

    private static readonly (DeviceStatus From, DeviceStatus To, StatusChange Change)[] Steps =
    [
        (DeviceStatus.Reset, Ack, StatusChange.Acknowledge),
        (Ack, AckDriver, StatusChange.Driver),
        (AckDriver, AckDriverFeatures, StatusChange.FeaturesOk),
        (AckDriverFeatures, Live, StatusChange.DriverOk),
    ];

    /// <summary>Classifies writing <paramref name="written"/> while the register holds <paramref name="current"/>.</summary>
    public static StatusChange Classify(DeviceStatus current, DeviceStatus written)
    {
        if (written == DeviceStatus.Reset)
        {
            return StatusChange.Reset;
        }
        DeviceStatus from = current & ~DeviceStatus.DeviceNeedsReset;
        DeviceStatus to = written & ~DeviceStatus.DeviceNeedsReset;
        if ((from & DeviceStatus.Failed) != 0)
        {
            return StatusChange.Invalid;
        }
        if (to == (from | DeviceStatus.Failed))
        {
            return StatusChange.Failed;
        }
        foreach (var step in Steps)
        {
            if (step.From == from && step.To == to)
            {
                return step.Change;
            }
        }
        return StatusChange.Invalid;
    }
}

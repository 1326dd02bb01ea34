using KataSharp.Vmm.Virtio.Devices.Rng;
using KataSharp.Vmm.Virtio.Transport;

namespace KataSharp.Fuzz.Targets;

/// <summary>
/// The virtio-mmio transport itself: mostly register traffic (any offset, width and value, status walks,
/// queue fields in every state, feature pages), probes and resets, with a simple device (rng) behind it.
/// </summary>
internal sealed class MmioTarget() : DeviceTarget((_, log) => new RngDevice(logSink: log))
{
    private long _statusWrites;
    private long _activations;

    protected override int TransportPercent => 90;

    protected override void DeviceAction(Random random)
    {
        // Status sequences that are almost right: the handshake as a whitelist is what is under test.
        uint[] steps = [0, 1, 3, 11, 15, 0x40, 0x80, 0x8B, 7, 0xFF];
        int count = random.Next(1, 6);
        for (int i = 0; i < count; i++)
        {
            Fake.Write(MmioRegister.Status, random.Next(4) == 0 ? (uint)random.Next() : steps[random.Next(steps.Length)]);
            _statusWrites++;
        }
        if (Fake.Device.IsActivated)
        {
            _activations++;
        }
    }

    protected override void CollectCoverage(Dictionary<string, long> coverage)
    {
        coverage["status writes"] = _statusWrites;
        coverage["activations seen"] = _activations;
        coverage["guest errors"] = Fake.Device.GuestErrors.Count;
    }
}

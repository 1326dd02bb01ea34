namespace KataSharp.Vmm.Devices;

/// <summary>
/// A device reached through port I/O or MMIO. Offsets are relative to the device's base;
/// <paramref name="data"/> is the access width (1, 2, 4 or 8 bytes). Called on vCPU threads:
/// implementations synchronise their own state and never throw for guest-chosen values.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}

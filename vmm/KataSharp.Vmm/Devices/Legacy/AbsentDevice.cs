namespace KataSharp.Vmm.Devices.Legacy;

/// <summary>
/// Ports a PC has but this VM leaves empty (DMA page registers with the POST code port 0x80, PCI configuration 0xCF8-0xCFF,
/// the other COM ports): reads float high, writes vanish, and nothing is logged, because Linux
/// touches them routinely on the way to deciding there is nothing there. Reading all-ones at
/// 0xCFC means "no PCI device"; 0xCF8 not echoing writes means "no type-1 configuration mechanism".
/// </summary>
public sealed class AbsentDevice : IBusDevice
{
    public static readonly AbsentDevice Instance = new();

    public void Read(ulong offset, Span<byte> data) => data.Fill(0xFF);

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
    }
}

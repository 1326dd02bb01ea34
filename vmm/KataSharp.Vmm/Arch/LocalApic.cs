using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KataSharp.Vmm.Kvm.Interop;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// Local APIC setup for a PC-compatible "virtual wire": LINT0 delivers the PIC's interrupts
/// (ExtINT) and LINT1 delivers NMIs, as the MP table's local interrupt entries announce.
/// </summary>
public static class LocalApic
{
    public const int LvtLint0Offset = 0x350;
    public const int LvtLint1Offset = 0x360;

    public const uint DeliveryModeNmi = 0x4;
    public const uint DeliveryModeExtInt = 0x7;

    private const uint DeliveryModeMask = 0x7 << 8;

    /// <summary>Returns <paramref name="state"/> with LINT0 = ExtINT and LINT1 = NMI.</summary>
    public static kvm_lapic_state WithVirtualWire(kvm_lapic_state state)
    {
        Span<byte> regs = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref state, 1));
        SetDeliveryMode(regs, LvtLint0Offset, DeliveryModeExtInt);
        SetDeliveryMode(regs, LvtLint1Offset, DeliveryModeNmi);
        return state;
    }

    public static uint ReadRegister(kvm_lapic_state state, int offset) =>
        BinaryPrimitives.ReadUInt32LittleEndian(MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref state, 1))[offset..]);

    private static void SetDeliveryMode(Span<byte> regs, int offset, uint mode)
    {
        uint value = BinaryPrimitives.ReadUInt32LittleEndian(regs[offset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(regs[offset..], (value & ~DeliveryModeMask) | (mode << 8));
    }
}

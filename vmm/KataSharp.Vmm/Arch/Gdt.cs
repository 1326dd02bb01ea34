using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// The boot GDT (null, 64-bit code, data, TSS) written at <see cref="X86Layout.BootGdt"/>, and the
/// matching hidden segment state for KVM: the CPU never reloads the descriptors before Linux
/// installs its own GDT, so the two must agree from the start.
/// </summary>
public static class Gdt
{
    public const ushort CodeSelector = 0x08;
    public const ushort DataSelector = 0x10;
    public const ushort TssSelector = 0x18;

    // Access byte + flags nibble, as the 16-bit "flags" word of a descriptor (bits 8-11 are limit 19:16).
    private const ushort Code64 = 0xA09B; // G, L, present, DPL0, code execute/read, accessed
    private const ushort Data = 0xC093;   // G, D/B, present, DPL0, data read/write, accessed
    private const ushort Tss64 = 0x808B;  // G, present, busy 64-bit TSS

    /// <summary>The four descriptors in table order.</summary>
    public static readonly IReadOnlyList<ulong> BootEntries =
    [
        0,
        Entry(Code64, 0, 0xFFFFF),
        Entry(Data, 0, 0xFFFFF),
        Entry(Tss64, 0, 0xFFFFF),
    ];

    /// <summary>GDTR limit: size in bytes minus one.</summary>
    public static ushort Limit => (ushort)(BootEntries.Count * sizeof(ulong) - 1);

    /// <summary>Encodes a segment descriptor from the flags word, a 32-bit base and a 20-bit limit.</summary>
    public static ulong Entry(ushort flags, uint baseAddress, uint limit) =>
        ((ulong)(baseAddress & 0xFF00_0000) << 32)
        | ((ulong)(flags & 0xF0FF) << 40)
        | ((ulong)(limit & 0x000F_0000) << 32)
        | ((ulong)(baseAddress & 0x00FF_FFFF) << 16)
        | (limit & 0x0000_FFFF);

    /// <summary>The hidden segment-register state KVM needs for <paramref name="entry"/> loaded by <paramref name="selector"/>.</summary>
    public static kvm_segment Segment(ulong entry, ushort selector)
    {
        bool granular = ((entry >> 55) & 1) != 0;
        uint limit = (uint)((entry & 0xFFFF) | ((entry >> 32) & 0xF_0000));
        return new kvm_segment
        {
            @base = ((entry >> 16) & 0xFF_FFFF) | ((entry >> 32) & 0xFF00_0000),
            limit = granular ? (limit << 12) | 0xFFF : limit,
            selector = selector,
            type = (byte)((entry >> 40) & 0xF),
            s = (byte)((entry >> 44) & 1),
            dpl = (byte)((entry >> 45) & 3),
            present = (byte)((entry >> 47) & 1),
            avl = (byte)((entry >> 52) & 1),
            l = (byte)((entry >> 53) & 1),
            db = (byte)((entry >> 54) & 1),
            g = granular ? (byte)1 : (byte)0,
            unusable = (byte)(((entry >> 47) & 1) == 0 ? 1 : 0),
        };
    }

    public static kvm_segment CodeSegment => Segment(BootEntries[CodeSelector / 8], CodeSelector);

    public static kvm_segment DataSegment => Segment(BootEntries[DataSelector / 8], DataSelector);

    public static kvm_segment TssSegment => Segment(BootEntries[TssSelector / 8], TssSelector);

    /// <summary>Writes the GDT and an empty IDT (the kernel installs its own before enabling interrupts).</summary>
    public static void Write(GuestMemory memory)
    {
        for (int i = 0; i < BootEntries.Count; i++)
        {
            memory.Write(new GuestAddress(X86Layout.BootGdt + (ulong)(i * sizeof(ulong))), BootEntries[i]);
        }
        memory.Write(new GuestAddress(X86Layout.BootIdt), 0UL);
    }
}

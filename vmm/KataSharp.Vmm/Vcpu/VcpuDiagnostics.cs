using System.Text;
using Iced.Intel;
using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Kvm;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Memory;
using static KataSharp.Vmm.Arch.ControlRegisters;

namespace KataSharp.Vmm.Vcpu;

/// <summary>
/// What a human needs when a vCPU stops unexpectedly: the registers, the control registers, and
/// the instructions at RIP disassembled with Iced (RIP translated through the guest's page tables).
/// Never throws: whatever cannot be read is said to be unreadable.
/// </summary>
public static class VcpuDiagnostics
{
    private const int InstructionsShown = 4;

    /// <summary>x86 reset: CS selector F000 with base FFFF0000, IP FFF0 (the reset vector 16 bytes below 4 GiB).</summary>
    public const ushort ResetCsSelector = 0xF000;
    public const ulong ResetCsBase = 0xFFFF_0000;
    public const ulong ResetRip = 0xFFF0;

    /// <summary>
    /// True when the vCPU is in its power-on state. After a triple fault on AMD SVM this is what
    /// KVM leaves: it re-initialises the VMCB when it intercepts the shutdown (the VMCB is undefined
    /// after one), so the registers no longer show where the guest faulted.
    /// </summary>
    public static bool IsResetState(kvm_regs r, kvm_sregs s) =>
        r.rip == ResetRip && s.cs.selector == ResetCsSelector && s.cs.@base == ResetCsBase;
    private const int MaxInstructionLength = 15;

    public static string Describe(VcpuFd vcpu, GuestMemory memory)
    {
        var text = new StringBuilder();
        try
        {
            kvm_regs r = vcpu.GetRegisters();
            kvm_sregs s = vcpu.GetSpecialRegisters();
            text.AppendLine($"vcpu {vcpu.Id} registers:");
            text.AppendLine($"  rip {r.rip:x16}  rflags {r.rflags:x16}  rsp {r.rsp:x16}  rbp {r.rbp:x16}");
            text.AppendLine($"  rax {r.rax:x16}  rbx {r.rbx:x16}  rcx {r.rcx:x16}  rdx {r.rdx:x16}");
            text.AppendLine($"  rsi {r.rsi:x16}  rdi {r.rdi:x16}  r8  {r.r8:x16}  r9  {r.r9:x16}");
            text.AppendLine($"  r10 {r.r10:x16}  r11 {r.r11:x16}  r12 {r.r12:x16}  r13 {r.r13:x16}");
            text.AppendLine($"  r14 {r.r14:x16}  r15 {r.r15:x16}");
            text.AppendLine($"  cr0 {s.cr0:x16}  cr2 {s.cr2:x16}  cr3 {s.cr3:x16}  cr4 {s.cr4:x16}  efer {s.efer:x}");
            text.AppendLine($"  cs {s.cs.selector:x4} base {s.cs.@base:x} l={s.cs.l} db={s.cs.db}  ss {s.ss.selector:x4}  gdt {s.gdt.@base:x}/{s.gdt.limit:x}  idt {s.idt.@base:x}/{s.idt.limit:x}");
            if (IsResetState(r, s))
            {
                text.AppendLine("  (this is the vCPU's reset state, not where the guest stopped: KVM on AMD SVM re-initialises a vCPU "
                    + "when it intercepts a shutdown; the host's ftrace kvm:kvm_exit events show the guest RIP before it)");
                return text.ToString().TrimEnd();
            }
            text.Append(Disassemble(memory, r, s));
        }
        catch (Exception e)
        {
            text.AppendLine($"  (vcpu state unreadable: {e.Message})");
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>The instructions at RIP, or a line saying why they cannot be shown.</summary>
    public static string Disassemble(GuestMemory memory, kvm_regs r, kvm_sregs s)
    {
        bool longMode = (s.efer & EferLongModeActive) != 0;
        int bitness = longMode && s.cs.l != 0 ? 64 : s.cs.db != 0 ? 32 : 16;
        ulong linear = bitness == 64 ? r.rip : s.cs.@base + r.rip;
        ulong? physical = GuestPageWalker.Translate(memory, s.cr0, s.cr3, s.cr4, s.efer, linear);
        if (physical is null)
        {
            return $"  code at rip {r.rip:x}: not mapped by the guest page tables\n";
        }
        byte[] code = ReadAvailable(memory, physical.Value, InstructionsShown * MaxInstructionLength);
        if (code.Length == 0)
        {
            return $"  code at rip {r.rip:x} (guest-physical {physical:x}): not in guest RAM\n";
        }

        var decoder = Iced.Intel.Decoder.Create(bitness, new ByteArrayCodeReader(code), r.rip);
        var formatter = new NasmFormatter();
        var output = new StringOutput();
        var text = new StringBuilder($"  code at rip {r.rip:x} (guest-physical {physical:x}, {bitness}-bit):\n");
        for (int i = 0; i < InstructionsShown && decoder.IP < r.rip + (ulong)code.Length; i++)
        {
            decoder.Decode(out Instruction instruction);
            formatter.Format(instruction, output);
            int offset = (int)(instruction.IP - r.rip);
            string bytes = Convert.ToHexString(code, offset, Math.Min(instruction.Length, code.Length - offset)).ToLowerInvariant();
            text.AppendLine($"  {(i == 0 ? "=>" : "  ")} {instruction.IP:x16}  {bytes,-30} {output.ToStringAndReset()}");
            if (instruction.IsInvalid)
            {
                break;
            }
        }
        return text.ToString();
    }

    private static byte[] ReadAvailable(GuestMemory memory, ulong address, int wanted)
    {
        for (int length = wanted; length > 0; length--)
        {
            if (memory.IsValidRange(new GuestAddress(address), (ulong)length))
            {
                var bytes = new byte[length];
                memory.Read(new GuestAddress(address), bytes);
                return bytes;
            }
        }
        return [];
    }
}

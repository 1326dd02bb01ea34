using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>
/// An interrupt is never taken while the guest's RFLAGS.IF is clear. The program runs its local
/// APIC timer periodically and spends most of its time with interrupts masked (cli), opening them
/// for two instructions at a time; its handler counts the interrupts whose saved RFLAGS had IF clear.
/// On hardware KVM that count is always zero: KVM injects an interrupt only into an open interrupt
/// window. An emulated CPU that re-delivers an injected interrupt later, wherever the guest then is,
/// shows up here as a non-zero count.
/// </summary>
public sealed class MaskedInterruptProgramTests
{
    private const ulong Idt = 0x20_0000;          // 256 gates of 16 bytes, in guest RAM nobody else uses
    private const ulong IdtPointer = Idt + 0x1000;
    private const ulong Stack = 0x30_0000;
    private const ulong Lapic = 0xFEE0_0000;      // the xAPIC page (identity-mapped by the VMM's boot page tables)
    private const byte Vector = 0x40;
    private const int HandlerSpin = 200_000;
    private const ulong RunTicks = 5_000_000_000; // 1-5 s of TSC

    [KvmFact]
    public void A_periodic_timer_interrupt_is_never_taken_while_interrupts_are_masked()
    {
        using var run = ProgramRun.Start(a =>
        {
            Iced.Intel.Label handler = a.CreateLabel();
            Iced.Intel.Label loop = a.CreateLabel();
            Iced.Intel.Label masked = a.CreateLabel();
            Iced.Intel.Label start = a.CreateLabel();
            a.jmp(start);

            // The handler: r12 counts interrupts, r13 those whose interrupted context had IF clear.
            a.Label(ref handler);
            a.inc(r12);
            a.test(__qword_ptr[rsp + 16], 0x200);   // saved RFLAGS (frame: RIP, CS, RFLAGS, RSP, SS)
            Iced.Intel.Label open = a.CreateLabel();
            a.jnz(open);
            a.inc(r13);
            a.Label(ref open);
            // Stay in the handler (interrupts masked by the gate) for a while before the EOI, the first exit
            // to the host after the injection: an emulator that keeps the injected event pending until then
            // may deliver it once more in here.
            a.push(rcx);
            a.mov(ecx, HandlerSpin);
            Iced.Intel.Label spin = a.CreateLabel();
            a.Label(ref spin);
            a.dec(ecx);
            a.jnz(spin);
            a.pop(rcx);
            a.mov(__dword_ptr[r15 + 0xB0], 0);     // EOI
            a.iretq();

            a.Label(ref start);
            a.mov(rsp, Stack);                           // the boot protocol leaves RSP undefined; interrupts push onto it
            a.mov(r15, Lapic);                           // the handler uses r15 too (disp32 cannot reach 0xFEE00000)
            a.xor(r12d, r12d);
            a.xor(r13d, r13d);
            // Clear the IDT, then write the gate for Vector: a present 64-bit interrupt gate on the current CS.
            a.mov(rdi, Idt);
            a.xor(eax, eax);
            a.mov(ecx, 512);
            a.rep.stosq();
            a.lea(rax, __[handler]);
            a.mov(rdi, Idt + Vector * 16UL);
            a.mov(__word_ptr[rdi], ax);                  // offset 15:0
            a.mov(dx, cs);
            a.mov(__word_ptr[rdi + 2], dx);              // selector
            a.mov(__word_ptr[rdi + 4], 0x8E00);          // IST 0, type 0xE, present
            a.shr(rax, 16);
            a.mov(__word_ptr[rdi + 6], ax);              // offset 31:16
            a.shr(rax, 16);
            a.mov(__dword_ptr[rdi + 8], eax);            // offset 63:32
            a.mov(__dword_ptr[rdi + 12], 0);
            a.mov(rdi, IdtPointer);
            a.mov(__word_ptr[rdi], 0xFFF);
            a.mov(rax, Idt);
            a.mov(__qword_ptr[rdi + 2], rax);
            a.lidt(__[rdi]);
            // Local APIC: software-enable, divide by 1, periodic timer on Vector.
            a.mov(__dword_ptr[r15 + 0xF0], 0x1FF);
            a.mov(__dword_ptr[r15 + 0x3E0], 0xB);
            a.mov(__dword_ptr[r15 + 0x320], Vector | (1 << 17));
            a.mov(__dword_ptr[r15 + 0x380], 50_000);

            a.StartDeadline(r9, RunTicks);
            a.Label(ref loop);
            a.sti();
            a.nop();                                     // the window: the interrupt shadow of sti ends here
            a.nop();
            a.cli();
            a.mov(ecx, 20_000);                          // a long stretch with interrupts masked
            a.Label(ref masked);
            a.dec(ecx);
            a.jnz(masked);
            a.JumpBeforeDeadline(r9, loop);

            a.mov(__dword_ptr[r15 + 0x320], 1 << 16);  // mask the timer
            a.Report(r12);
            a.Report(r13);
            a.Exit(0);
        });

        VmExit exit = run.WaitForExit();

        Assert.True(exit.Reason == VmExitReason.HostStop, $"{exit.Reason}: {exit.Message}");
        Assert.Equal(2, run.Reports.Count);
        ulong taken = run.Reports[0], whileMasked = run.Reports[1];
        Assert.True(taken > 0, "the timer interrupt never arrived");
        Assert.True(whileMasked == 0, $"{whileMasked} of {taken} interrupts were taken with RFLAGS.IF clear");
    }
}

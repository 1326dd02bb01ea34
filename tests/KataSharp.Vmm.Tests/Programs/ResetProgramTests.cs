using KataSharp.Vmm.Arch;
using KataSharp.Vmm.Devices.Legacy;
using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Vcpu;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>The guest ends the VM the way Linux does with reboot=k, panic=-1, or a triple fault.</summary>
public sealed class ResetProgramTests
{
    [KvmFact]
    public void An_i8042_reset_pulse_stops_the_VM_as_a_guest_reset()
    {
        using var run = ProgramRun.Start(a =>
        {
            // Linux's kb_wait: wait until the controller's input buffer is empty, then pulse reset.
            Iced.Intel.Label wait = a.CreateLabel();
            a.Label(ref wait);
            a.@in(al, (byte)X86Layout.I8042CommandPort);
            a.test(al, 0x02);
            a.jnz(wait);
            a.mov(al, I8042Controller.CommandPulseReset);
            a.@out((byte)X86Layout.I8042CommandPort, al);
            a.Exit(1); // not reached when the reset stops the VM first
        });

        VmExit exit = run.WaitForExit();

        Assert.Equal(VmExitReason.GuestReset, exit.Reason);
        Assert.True(exit.IsCleanGuestExit);
        Assert.Empty(run.ExitCodes);
        Assert.Equal(VmState.Stopped, run.Machine.State);
    }

    [KvmFact]
    public void A_reset_after_a_kernel_panic_message_is_reported_as_a_panic()
    {
        const string panic = "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\n";
        using var run = ProgramRun.Start(a =>
        {
            a.mov(dx, X86Layout.Com1Port);
            foreach (char c in panic)
            {
                a.mov(al, (byte)c);
                a.@out(dx, al);
            }
            a.mov(al, I8042Controller.CommandPulseReset);
            a.@out((byte)X86Layout.I8042CommandPort, al);
            a.Exit(1);
        });

        VmExit exit = run.WaitForExit();

        Assert.Equal(VmExitReason.GuestPanic, exit.Reason);
        Assert.Contains("Attempted to kill init!", exit.Message);
        Assert.False(exit.IsCleanGuestExit);
    }

    [KvmFact]
    public void A_triple_fault_stops_the_VM_as_a_shutdown_with_registers_and_disassembly()
    {
        const ulong marker = 0x1234_5678_9ABC_DEF0;
        using var run = ProgramRun.Start(a =>
        {
            // An IDT limit of zero: the #UD from ud2 cannot be delivered, then neither can #DF: triple fault.
            Iced.Intel.Label idt = a.CreateLabel();
            a.lidt(__[idt]);
            a.mov(rbx, marker);
            a.Report(rbx); // the program got as far as the fault (the only evidence of it on AMD, below)
            a.ud2();
            a.Label(ref idt);
            a.dw(0);
            a.dq(0);
        });

        VmExit exit = run.WaitForExit();

        Assert.Equal(VmExitReason.GuestShutdown, exit.Reason);
        Assert.Contains("triple-faulted", exit.Message);
        Assert.Equal([marker], run.Reports);
        Assert.NotNull(exit.Diagnostics);
        if (KvmBackend.IsAmdSvm)
        {
            // KVM on AMD SVM INITs the vCPU when it intercepts the SHUTDOWN, before user space sees
            // the exit (svm.c shutdown_interception: the VMCB is undefined after one), so no VMM can
            // read where the guest faulted. What it must do is say that the registers it shows are
            // the reset state, and show no disassembly of the reset vector as if the guest had stopped there.
            Assert.Contains("reset state, not where the guest stopped", exit.Diagnostics);
            Assert.Contains($"rip {VcpuDiagnostics.ResetRip:x16}", exit.Diagnostics);
            Assert.Contains($"cs {VcpuDiagnostics.ResetCsSelector:x4} base {VcpuDiagnostics.ResetCsBase:x}", exit.Diagnostics);
            Assert.DoesNotContain("code at rip", exit.Diagnostics);
        }
        else
        {
            // Intel VMX (and PVM) leave the registers as they were at the fault.
            Assert.Contains($"rbx {marker:x16}", exit.Diagnostics);
            Assert.Contains("ud2", exit.Diagnostics);
            Assert.DoesNotContain("reset state", exit.Diagnostics);
        }
    }
}

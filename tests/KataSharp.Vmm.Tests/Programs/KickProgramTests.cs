using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.Tests.Support;
using KataSharp.Vmm.Tests.Virtio.Support;
using KataSharp.Vmm.Vcpu;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>Stop() gets every vCPU out of KVM_RUN: one halted with interrupts on (blocked inside the
/// in-kernel irqchip), the application processors still waiting for their startup IPI, and one spinning.</summary>
public sealed class KickProgramTests
{
    [KvmFact]
    public void Stop_kicks_a_vcpu_halted_with_interrupts_enabled_and_the_waiting_APs()
    {
        using var run = ProgramRun.Start(a =>
        {
            a.mov(eax, 1);
            a.ReportRax();          // "about to halt"
            Iced.Intel.Label halt = a.CreateLabel();
            a.Label(ref halt);
            a.sti();
            a.hlt();
            a.jmp(halt);
        }, builder => builder.WithVcpus(2));

        Eventually.True(() => run.Reports.Count == 1, "the program reports that it is about to halt");
        VmExit exit = run.Machine.Stop();

        Assert.Equal(VmExitReason.HostStop, exit.Reason);
        Assert.Equal(VmState.Stopped, run.Machine.State);
        Assert.All(run.Machine.Vcpus, v => Assert.Equal(VcpuState.Stopped, v.State));
    }

    [KvmFact]
    public void Stop_kicks_a_vcpu_spinning_in_guest_code()
    {
        using var run = ProgramRun.Start(a =>
        {
            a.mov(eax, 1);
            a.ReportRax();
            Iced.Intel.Label spin = a.CreateLabel();
            a.Label(ref spin);
            a.pause();
            a.jmp(spin);
        });

        Eventually.True(() => run.Reports.Count == 1, "the program reports that it is spinning");
        VmExit exit = run.Machine.Stop();

        Assert.Equal(VmExitReason.HostStop, exit.Reason);
        Assert.All(run.Machine.Vcpus, v => Assert.Equal(VcpuState.Stopped, v.State));
    }
}

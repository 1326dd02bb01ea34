using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>Ports and MMIO addresses nobody claims read as all-ones, swallow writes, are logged once, and never stop the VM.</summary>
public sealed class UnclaimedAccessProgramTests
{
    private const ushort UnclaimedPort = 0x1234;
    private const ulong UnclaimedMmio = 0xC000_1000; // in the MMIO hole, no device

    [KvmFact]
    public void Unclaimed_port_and_MMIO_accesses_read_all_ones_and_the_guest_carries_on()
    {
        using var run = ProgramRun.Start(a =>
        {
            a.mov(dx, UnclaimedPort);
            a.mov(eax, 0x5A5A_5A5A);
            a.@out(dx, eax);                        // dropped
            a.xor(eax, eax);
            a.@in(eax, dx);
            a.ReportRax();                          // 0: 0xffffffff
            a.mov(dx, UnclaimedPort);
            a.@in(al, dx);
            a.movzx(eax, al);
            a.ReportRax();                          // 1: 0xff
            a.mov(rbx, UnclaimedMmio);
            a.mov(__qword_ptr[rbx], rbx);           // dropped
            a.mov(rax, __qword_ptr[rbx]);
            a.ReportRax();                          // 2: all ones
            a.mov(dx, UnclaimedPort);
            a.@in(al, dx);                          // a second access to the same port: not logged again
            a.Exit(7);
        });

        VmExit exit = run.WaitForExit();

        Assert.Equal(VmExitReason.HostStop, exit.Reason);
        Assert.Equal([7u], run.ExitCodes);
        Assert.Equal([0xFFFF_FFFFUL, 0xFFUL, ulong.MaxValue], run.Reports);
        Assert.Single(run.Log, l => l.Contains($"PIO 0x{UnclaimedPort:x}"));
        Assert.Single(run.Log, l => l.Contains($"MMIO 0x{UnclaimedMmio:x}"));
    }
}

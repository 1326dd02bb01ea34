using KataSharp.Vmm.Lifecycle;
using KataSharp.Vmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace KataSharp.Vmm.Tests.Programs;

/// <summary>
/// The guest programs' TSC deadline (<see cref="GuestProgram.StartDeadline"/>) that bounds their waits
/// for the host: a condition that never comes ends the wait once the budget has passed, not before.
/// </summary>
public sealed class DeadlineProgramTests
{
    private const ulong Budget = 100_000_000; // a few tens of milliseconds of TSC
    private const ulong NeverSet = 0x20_0000;  // guest RAM nobody writes: stays zero
    private const byte GaveUp = 7;

    [KvmFact]
    public void A_wait_for_a_condition_that_never_comes_gives_up_once_its_budget_has_passed()
    {
        using var run = ProgramRun.Start(a =>
        {
            Iced.Intel.Label poll = a.CreateLabel();
            Iced.Intel.Label done = a.CreateLabel();
            a.ReadTsc();
            a.ReportRax();                          // 0: the TSC before the wait
            a.StartDeadline(r9, Budget);
            a.Report(r9);                           // 1: the deadline
            a.Label(ref poll);
            a.cmp(__qword_ptr[NeverSet], 1);
            a.je(done);
            a.pause();
            a.JumpBeforeDeadline(r9, poll);
            a.ReadTsc();
            a.ReportRax();                          // 2: the TSC when it gave up
            a.Exit(GaveUp);
            a.Label(ref done);
            a.Exit(0);
        });

        VmExit exit = run.WaitForExit();

        Assert.True(exit.Reason == VmExitReason.HostStop, $"{exit.Reason}: {exit.Message}");
        Assert.Equal([(uint)GaveUp], run.ExitCodes);
        Assert.Equal(3, run.Reports.Count);
        ulong start = run.Reports[0], deadline = run.Reports[1], end = run.Reports[2];
        Assert.True(start + Budget <= deadline, $"the deadline {deadline} is less than {Budget} ticks after {start}");
        Assert.True(end >= deadline, $"the wait gave up at {end}, before its deadline {deadline}");
    }
}

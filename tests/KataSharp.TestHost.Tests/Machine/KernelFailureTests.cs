using KataSharp.TestHost.Machine;
using Xunit;

namespace KataSharp.TestHost.Tests.Machine;

public sealed class KernelFailureTests
{
    [Fact]
    public void A_panic_is_a_failure()
    {
        string console = "[   12.1] ks-agent: serving\n[  125.2] Kernel panic - not syncing: stack-protector: Kernel stack is corrupted\n[  125.3] ---[ end ]---";
        Assert.Equal("[  125.2] Kernel panic - not syncing: stack-protector: Kernel stack is corrupted", KernelFailure.Find(console));
    }

    [Fact]
    public void A_cpu_stuck_for_minutes_is_a_failure_but_a_short_lockup_is_not()
    {
        const string shortLockup = "[  152.4] watchdog: BUG: soft lockup - CPU#0 stuck for 48s! [kworker/0:2:94]";
        const string longLockup = "[  808.5] watchdog: BUG: soft lockup - CPU#1 stuck for 659s! [rcu_preempt:15]";
        Assert.Null(KernelFailure.Find(shortLockup));
        Assert.Null(KernelFailure.Find($"[  125.2] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n{shortLockup}"));
        Assert.Equal(longLockup, KernelFailure.Find($"{shortLockup}\n{longLockup}"));
    }

    [Fact]
    public void A_healthy_console_is_not_a_failure()
    {
        Assert.Null(KernelFailure.Find("[   13.9] kvm [180]: vcpu0, guest rIP: 0xffffffff81003ebc Unhandled WRMSR(0xc0010007) = 0xffff\nks-agent: killed command c3 (session 412)"));
    }

    [Fact]
    public void A_kernel_stack_overflow_is_a_failure_at_once()
    {
        const string guard = "[  111.0] BUG: TASK stack guard page was hit at ff6f41f6c29efff8 (stack is ff6f41f6c29f0000..ff6f41f6c29f4000)";
        Assert.Equal(guard, KernelFailure.Find($"[  110.9] kvm [893]: vcpu0, guest rIP: 0xffffffff81003ebc Unhandled WRMSR(0xc0010007) = 0xffff\n{guard}"));
    }

    [Fact]
    public void A_kernel_stack_overflow_in_any_context_is_the_emulator_crash_and_nothing_else_is()
    {
        const string frame = "[  599.5] RIP: 0010:__svm_vcpu_run+0x9c/0x210 [kvm_amd]";
        const string guard = "[  599.5] BUG: TASK stack guard page was hit at ff5f00f1c372bff8";
        Assert.True(KernelFailure.IsEmulatorStackOverflow($"{guard}\n[  599.5]  asm_sysvec_reschedule_ipi+0x16/0x20\n{frame}"));
        const string inVcpu = "[   17.345176] CPU: 0 PID: 383 Comm: vcpu1 Not tainted 6.1.0-57-amd64 #1  Debian 6.1.192-3";
        Assert.True(KernelFailure.IsEmulatorStackOverflow($"{guard}\n[   17.344574] stack guard page: 0000 [#1] PREEMPT SMP NOPTI\n{inVcpu}"));
        // The same in interrupt context on a CPU running containerd, then "Fatal exception in interrupt" (the form of CI's crash of
        // 2026-12-04, whose excerpt kept only the registers: CR2 at the end of a stack, FS of a Go binary).
        const string irq = "[  511.36] BUG: IRQ stack guard page was hit at ff63289c430a3ff8 (stack is ff63289c430a4000..ff63289c430a8000)";
        Assert.True(KernelFailure.IsEmulatorStackOverflow($"{irq}\n[  511.36] CPU: 1 PID: 77 Comm: containerd Not tainted 6.1.0-57-amd64 #1\n[  511.37] Kernel panic - not syncing: Fatal exception in interrupt"));
        Assert.Equal(irq.Trim(), KernelFailure.Find($"[  511.0] ok\n{irq}"));
        // The overflow found by the scheduler instead of the guard page (a full run of 2026-12-04, 4-vCPU katasharp-vmm guest).
        const string stackEnd = "[  113.872411] Kernel panic - not syncing: corrupted stack end detected inside scheduler";
        Assert.Equal(stackEnd.Trim(), KernelFailure.Find($"[  113.0] ok\n{stackEnd}\n[  113.877798] CPU: 0 PID: 810 Comm: vcpu2 Not tainted 6.1.0-57-amd64 #1"));
        Assert.True(KernelFailure.IsEmulatorStackOverflow($"{stackEnd}\n[  113.877798] CPU: 0 PID: 810 Comm: vcpu2 Not tainted 6.1.0-57-amd64 #1"));
        // A per-CPU (GS-prefixed) access that faulted in the interrupt entry: the wrong GS base, before any overflow.
        const string gsOops = "[  980.266453] RIP: 0010:irqentry_enter+0x9/0x50\n"
            + "[  980.266462] Code: 00 65 48 03 05 30 11 dd 66 8b 00 83 e0 03 83 f8 02 74 e0 0f 0b eb dc bf 02 00 00 00 e9 70 03 00 00 f6 87 88 00 00 00 03 75 24 <65> 48 8b 04 25 80 fb 01 00 f6 40 2c 02\n"
            + "[  980.410202] Kernel panic - not syncing: Fatal exception in interrupt";
        Assert.True(KernelFailure.IsEmulatorStackOverflow(gsOops));
        // Anything else is not: a panic without an overflow, an oops in the frame after VMRUN without one,
        // an oops at an ordinary instruction (a GS prefix elsewhere on the Code: line does not count).
        Assert.False(KernelFailure.IsEmulatorStackOverflow(
            "[  980.2] Code: 00 65 48 03 05 30 11 dd 66 <8b> 00 83 e0 03\n[  980.4] Kernel panic - not syncing: Fatal exception"));
        Assert.False(KernelFailure.IsEmulatorStackOverflow($"{frame}\n[  600.1] Kernel panic - not syncing: Fatal exception"));
        Assert.False(KernelFailure.IsEmulatorStackOverflow("[  600.1] Kernel panic - not syncing: Out of memory and no killable processes..."));
    }
}

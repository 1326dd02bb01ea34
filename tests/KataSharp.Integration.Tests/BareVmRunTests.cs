using Xunit;

namespace KataSharp.Integration.Tests;

/// <summary>What makes a bare-VMM scenario run once more in the nested test host: katasharp-vmm's triple-fault exit, nothing else.</summary>
public sealed class BareVmRunTests
{
    [Fact]
    public void The_vmms_triple_fault_exit_is_recognised()
    {
        const string stderr = "katasharp-vmm: the guest crashed: vcpu 0: the guest triple-faulted (KVM_EXIT_SHUTDOWN)\nvcpu 0 registers:\n  rip 000000000000fff0";
        Assert.True(BareVmRun.TripleFaulted(stderr));
    }

    [Theory]
    [InlineData("")]
    [InlineData("katasharp-vmm: the guest crashed: GuestPanic: Kernel panic - not syncing: VFS: Unable to mount root fs")]
    [InlineData("Unhandled exception. KataSharp.Linux.LinuxException: send failed: EPIPE (Broken pipe)")]
    public void Any_other_failure_is_not(string stderr) => Assert.False(BareVmRun.TripleFaulted(stderr));
}

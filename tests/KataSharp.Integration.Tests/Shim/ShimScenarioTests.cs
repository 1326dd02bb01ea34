using Xunit;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>When a scenario's first run counts as the nested test host's crash (and runs again):
/// only triple faults, and only those the cycles did not retry themselves.</summary>
public sealed class ShimScenarioTests
{
    private static Dictionary<string, string> Record(string exits, string reasons, string retries = "") => new()
    {
        ["vm_exits"] = exits,
        ["vm_exit_reasons"] = reasons,
        ["vm_exit_first"] = "GuestShutdown: vcpu 0: the guest triple-faulted (KVM_EXIT_SHUTDOWN)",
        ["cycle_boot_retries"] = retries,
    };

    [Fact]
    public void NoExit_IsNoCrash() => Assert.Null(ShimScenario.NestedHostCrash(Record("0", "")));

    [Fact]
    public void ATripleFault_IsTheNestedHostsCrash()
    {
        string? crash = ShimScenario.NestedHostCrash(Record("1", "GuestShutdown"));
        Assert.NotNull(crash);
        Assert.Contains("1 sandbox VM(s) triple-faulted", crash);
        Assert.Contains("KVM_EXIT_SHUTDOWN", crash);
    }

    [Fact]
    public void TripleFaultsTheCyclesRetried_AreNotCountedAgain()
    {
        Assert.Null(ShimScenario.NestedHostCrash(Record("2", "GuestShutdown,GuestShutdown", "4,17")));
        Assert.NotNull(ShimScenario.NestedHostCrash(Record("3", "GuestShutdown,GuestShutdown,GuestShutdown", "4,17")));
    }

    [Fact]
    public void AnyOtherExit_FailsTheRunInsteadOfRunningItAgain()
    {
        Assert.Null(ShimScenario.NestedHostCrash(Record("1", "VmmError")));
        Assert.Null(ShimScenario.NestedHostCrash(Record("2", "GuestShutdown,GuestPanic")));
    }

    [Fact]
    public void AnIncompleteRecord_IsNoCrash() => Assert.Null(ShimScenario.NestedHostCrash(Record("2", "GuestShutdown")));
}

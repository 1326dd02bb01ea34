using Xunit;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>When a scenario's first run counts as the nested test host's crash (and runs again):
/// only triple faults, and only those the cycles did not retry themselves; and that only the nested
/// test host hands the scripts the policy.</summary>
public sealed class ShimScenarioTests
{
    [Fact]
    public void Only_the_nested_test_host_gets_the_retry_policy()
    {
        Assert.Equal(" --retry-vm-exit GuestShutdown", NestedHostRetryPolicy.ScriptArguments(KataSharp.TestHost.TestHostMode.Nested));
        Assert.Equal("", NestedHostRetryPolicy.ScriptArguments(KataSharp.TestHost.TestHostMode.Direct));
        Assert.False(NestedHostRetryPolicy.MayRerun(KataSharp.TestHost.TestHostMode.Direct));
    }

    private static Dictionary<string, string> Record(string exits, string reasons, string retries = "") => new()
    {
        ["vm_exits"] = exits,
        ["vm_exit_reasons"] = reasons,
        ["vm_exit_first"] = "GuestShutdown: vcpu 0: the guest triple-faulted (KVM_EXIT_SHUTDOWN)",
        ["cycle_boot_retries"] = retries,
    };

    [Fact]
    public void NoExit_IsNoCrash() => Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("0", "")));

    [Fact]
    public void ATripleFault_IsTheNestedHostsCrash()
    {
        string? crash = NestedHostRetryPolicy.ScenarioCrash(Record("1", "GuestShutdown"));
        Assert.NotNull(crash);
        Assert.Contains("1 sandbox VM(s) triple-faulted", crash);
        Assert.Contains("KVM_EXIT_SHUTDOWN", crash);
    }

    [Fact]
    public void TripleFaultsTheCyclesRetried_AreNotCountedAgain()
    {
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("2", "GuestShutdown,GuestShutdown", "4,17")));
        Assert.NotNull(NestedHostRetryPolicy.ScenarioCrash(Record("3", "GuestShutdown,GuestShutdown,GuestShutdown", "4,17")));
    }

    [Fact]
    public void AnyOtherExit_FailsTheRunInsteadOfRunningItAgain()
    {
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("1", "VmmError")));
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("2", "GuestShutdown,GuestPanic")));
    }

    [Fact]
    public void TheScenariosOwnExit_DoesNotStopARerun_ButMustHaveHappened()
    {
        string[] panic = ["GuestPanic"];
        Assert.NotNull(NestedHostRetryPolicy.ScenarioCrash(Record("2", "GuestPanic,GuestShutdown"), panic));
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("1", "GuestPanic"), panic));
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("2", "GuestShutdown,GuestShutdown"), panic));
        Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("3", "GuestPanic,GuestPanic,GuestShutdown"), panic));
    }

    [Fact]
    public void AnIncompleteRecord_IsNoCrash() => Assert.Null(NestedHostRetryPolicy.ScenarioCrash(Record("2", "GuestShutdown")));
}

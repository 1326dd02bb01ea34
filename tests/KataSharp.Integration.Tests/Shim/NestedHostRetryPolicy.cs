using System.Globalization;
using KataSharp.TestHost;

namespace KataSharp.Integration.Tests.Shim;

/// <summary>
/// The one place that says what the shim scenarios forgive the nested test host (README, Known
/// limits): there, and only there, a sandbox VM now and then triple-faults (vm_exit_reason
/// GuestShutdown, read from the shim's structured log field, never from message text).
/// <list type="bullet">
/// <item>A run/delete cycle whose VM exited so gets one more try, recorded in cycle_boot_retries
/// (e2e.sh, through env.sh's <c>--retry-vm-exit</c>, which only this class passes); more than
/// <see cref="MaxCycleRetries"/> of the cycles fail the scenario.</item>
/// <item>A whole scenario in which other VMs exited so, and only so, runs once more
/// (<see cref="ScenarioCrash"/>).</item>
/// </list>
/// On hardware KVM (Direct mode) nothing is retried; every other exit reason fails at once.
/// </summary>
internal static class NestedHostRetryPolicy
{
    /// <summary>The VM exit the nested test host causes: a triple fault (KVM_EXIT_SHUTDOWN).</summary>
    public const string ForgivenExitReason = "GuestShutdown";

    /// <summary>At most this many of e2e.sh's 20 cycles may be retried: more is no longer the host's rare crash.</summary>
    public const int MaxCycleRetries = 3;

    /// <summary>The scenario script's arguments that hand it the policy: only in the nested test host.</summary>
    public static string ScriptArguments(TestHostMode mode) =>
        mode == TestHostMode.Nested ? $" --retry-vm-exit {ForgivenExitReason}" : "";

    /// <summary>Whether a scenario's first run may run once more.</summary>
    public static bool MayRerun(TestHostMode mode) => mode == TestHostMode.Nested;

    /// <summary>Why the first run says nothing about the code under test, or null: every VM exit the
    /// cycles did not retry themselves was the forgiven one, apart from the exits the scenario causes on
    /// purpose (<paramref name="intendedExits"/>, one exit each: reliability.sh panics a guest).</summary>
    public static string? ScenarioCrash(Dictionary<string, string> values, IReadOnlyList<string>? intendedExits = null)
    {
        int exits = int.TryParse(values.GetValueOrDefault("vm_exits"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 0;
        int retried = CycleRetries(values).Length;
        string[] reasons = values.GetValueOrDefault("vm_exit_reasons", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (reasons.Length != exits)
        {
            return null;
        }
        List<string> unexplained = [.. reasons];
        foreach (string intended in intendedExits ?? [])
        {
            if (!unexplained.Remove(intended))
            {
                return null; // the scenario's own exit did not happen: that is a failure of its own, not the host's
            }
        }
        return unexplained.Count > retried && unexplained.All(r => r == ForgivenExitReason)
            ? $"{unexplained.Count - retried} sandbox VM(s) triple-faulted in the nested test host (first: {values.GetValueOrDefault("vm_exit_first")})"
            : null;
    }

    /// <summary>The cycles (e2e.sh) that ran again under this policy; none elsewhere.</summary>
    public static string[] CycleRetries(Dictionary<string, string> values) =>
        values.GetValueOrDefault("cycle_boot_retries", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
}

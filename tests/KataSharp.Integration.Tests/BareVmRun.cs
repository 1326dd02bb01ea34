using KataSharp.TestHost;

namespace KataSharp.Integration.Tests;

/// <summary>
/// Runs a test-host command that boots katasharp-vmm itself (no shim: the virtio, agent and VMM boot scenarios). In the
/// nested test host only, a run whose guest triple-faulted (<see cref="TripleFaulted"/>; README, "Known limits": about
/// one boot in 40 there, more under heavy interrupt traffic such as the 100 concurrent vsock streams, never on hardware
/// KVM) runs once more, recorded in <see cref="CommandResult.RerunBecause"/> and on stderr, as the shim scenarios do
/// (Shim/NestedHostRetryPolicy); a second such run, and every other failure, fails as before.
/// </summary>
internal static class BareVmRun
{
    private const string TripleFault = "the guest triple-faulted (KVM_EXIT_SHUTDOWN)";

    public static async Task<CommandResult> RunAsync(TestHostFixture fixture, string command, TimeSpan timeout)
    {
        CommandResult first = await fixture.RunAsync(command, timeout);
        if (fixture.Host.Mode != TestHostMode.Nested || !TripleFaulted(first.Stdout + "\n" + first.Stderr))
        {
            return first;
        }
        string because = $"the guest triple-faulted in the nested test host ({FirstLineWith(first.Stdout + "\n" + first.Stderr, TripleFault)})";
        Console.Error.WriteLine($"[testhost] {because}; running the scenario once more");
        CommandResult second = await fixture.RunAsync(command, timeout);
        return second with { RerunBecause = because };
    }

    /// <summary>katasharp-vmm said its guest triple-faulted (VcpuThread's exit reason, which it prints on stderr).</summary>
    public static bool TripleFaulted(string output) => output.Contains(TripleFault, StringComparison.Ordinal);

    private static string FirstLineWith(string text, string part) =>
        text.Split('\n').FirstOrDefault(l => l.Contains(part, StringComparison.Ordinal))?.Trim() ?? part;
}

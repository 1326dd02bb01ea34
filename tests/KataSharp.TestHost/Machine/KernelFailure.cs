using System.Text.RegularExpressions;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// Recognises, in the L1 console, a test host kernel that will not recover: a panic, or a CPU
/// stuck for minutes. Under TCG this happens now and then with no fault of the code under test
/// (seen: an RCU stall with a CPU spinning in the int3 handler of kernel text patching while KVM
/// started or stopped a VM); without this the command would hang until its own timeout.
/// </summary>
internal static partial class KernelFailure
{
    /// <summary>A soft lockup this long is not TCG being slow: the CPU never came back.</summary>
    public const int StuckSecondsLimit = 120;

    [GeneratedRegex(@"soft lockup - CPU#\d+ stuck for (\d+)s!")]
    private static partial Regex SoftLockup();

    /// <summary>The first console line that says the kernel is gone, or null.</summary>
    public static string? Find(string console)
    {
        foreach (string line in console.Split('\n'))
        {
            // A kernel stack overflow never recovers; L1 once lived on with it for 22 minutes before
            // its panic, every command on it hanging meanwhile.
            if (line.Contains("Kernel panic - not syncing", StringComparison.Ordinal)
                || line.Contains(StackOverflow, StringComparison.Ordinal))
            {
                return line.Trim();
            }
            Match lockup = SoftLockup().Match(line);
            if (lockup.Success && int.Parse(lockup.Groups[1].Value) >= StuckSecondsLimit)
            {
                return line.Trim();
            }
        }
        return null;
    }

    /// <summary>
    /// What L1's kernel prints when one of its stacks (a task's, an IRQ stack, the #DF stack) overflowed:
    /// the end of a fault recursion (README, "Known limits": an interrupt taken where the emulated CPU must
    /// not deliver one — after VMRUN with GIF clear, or with the wrong GS base — faults on every per-CPU
    /// access until the stack runs out). User space cannot make a kernel's exception entry recurse.
    /// </summary>
    private const string StackOverflow = "stack guard page was hit";

    /// <summary>The other form of the same overflow: the stack's end marker found overwritten at a context switch,
    /// without the guard page having been hit first (seen 2026-12-04 in a vCPU thread of a 4-vCPU guest).</summary>
    private const string StackEndCorrupted = "corrupted stack end detected";

    /// <summary>
    /// True when <paramref name="console"/> shows the kernel failure as the emulator's crash (a kernel stack
    /// overflow, in whatever task or interrupt it ended: seen in a vCPU thread right after VMRUN, and in
    /// interrupt context on a CPU running containerd), which the test host may answer with one recorded rerun
    /// on a fresh L1; any other failure (a plain panic, an oops, a lockup) is not.
    /// </summary>
    public static bool IsEmulatorStackOverflow(string console) =>
        console.Contains(StackOverflow, StringComparison.Ordinal) || console.Contains(StackEndCorrupted, StringComparison.Ordinal)
        || PerCpuAccessFaulted().IsMatch(console);

    /// <summary>
    /// The same crash one step earlier: an oops whose faulting instruction (the byte in &lt;&gt; of the "Code:" line) is a
    /// GS-prefixed (0x65) per-CPU access in kernel mode. A per-CPU access faults only when GS holds the wrong base, which
    /// is what an interrupt taken with the nested guest's GS loaded gives (README, "Known limits"); the final run of
    /// 2026-12-05 died so at <c>irqentry_enter+0x9</c> ("Fatal exception in interrupt") without reaching a guard page.
    /// </summary>
    [GeneratedRegex(@"Code: (?:[0-9a-f]{2} )*<65>")]
    private static partial Regex PerCpuAccessFaulted();
}

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
            if (line.Contains("Kernel panic - not syncing", StringComparison.Ordinal))
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
}

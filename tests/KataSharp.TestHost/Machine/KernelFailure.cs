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

    /// <summary>
    /// The frame L1's kernel was in when the emulator crash after VMRUN hit it (README, "Known limits"):
    /// an interrupt taken on the instruction after <c>vmrun</c> in KVM's <c>__svm_vcpu_run</c>, with the
    /// guest's GS base still loaded, so the handler's per-CPU accesses fault until the stack runs out.
    /// </summary>
    private const string InterruptAfterVmrunFrame = "RIP: 0010:__svm_vcpu_run+";

    /// <summary>The first console line that says the kernel is gone, or null.</summary>
    public static string? Find(string console)
    {
        foreach (string line in console.Split('\n'))
        {
            // A kernel stack overflow never recovers; L1 once lived on with it for 22 minutes before
            // its panic, every command on it hanging meanwhile.
            if (line.Contains("Kernel panic - not syncing", StringComparison.Ordinal)
                || line.Contains("BUG: TASK stack guard page was hit", StringComparison.Ordinal))
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
    /// True when <paramref name="console"/> shows the kernel failure as the emulator's crash after VMRUN
    /// (the stack overflow it leads to, with the interrupted frame in <c>__svm_vcpu_run</c> or in a vCPU thread), which
    /// the test host may answer with one recorded rerun on a fresh L1; any other failure is not.
    /// </summary>
    public static bool IsInterruptAfterVmrun(string console) =>
        console.Contains("stack guard page was hit", StringComparison.Ordinal)
        && (console.Contains(InterruptAfterVmrunFrame, StringComparison.Ordinal) || VcpuThreadOops().IsMatch(console));

    /// <summary>
    /// The oops names a vCPU thread (ours are vcpuN, QEMU's "CPU N/KVM"): only those run guest mode, and the
    /// overflow there is this crash even when the console shows no frame below the first fault (seen: the
    /// panic came before the oops printed the interrupted frame).
    /// </summary>
    [GeneratedRegex(@"CPU: \d+ PID: \d+ Comm: (vcpu\d+|CPU \d+/KVM) ")]
    private static partial Regex VcpuThreadOops();
}

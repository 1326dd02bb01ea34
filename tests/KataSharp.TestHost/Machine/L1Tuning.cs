using System.Globalization;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// What can be varied about the L1 machine for experiments (the concurrent-boot A/B runs in the
/// README's "Known limits"): its CPU count and extra kernel parameters, from the environment.
/// </summary>
internal sealed record L1Tuning(int Cpus, string ExtraKernelArgs)
{
    /// <summary>Overrides <see cref="QemuArguments.Cpus"/> (TCG threads; more than the host's cores only time-share them).</summary>
    public const string CpusVariable = "KATASHARP_TESTHOST_L1_CPUS";

    /// <summary>Appended to L1's kernel command line (after the defaults, so it can override them).</summary>
    public const string KernelArgsVariable = "KATASHARP_TESTHOST_L1_CMDLINE";

    private const int MaxCpus = 16;

    public static readonly L1Tuning Default = new(QemuArguments.Cpus, "");

    public static L1Tuning FromEnvironment() =>
        Parse(Environment.GetEnvironmentVariable(CpusVariable), Environment.GetEnvironmentVariable(KernelArgsVariable));

    public static L1Tuning Parse(string? cpus, string? kernelArgs)
    {
        int count = QemuArguments.Cpus;
        if (!string.IsNullOrWhiteSpace(cpus)
            && !(int.TryParse(cpus, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count is >= 1 and <= MaxCpus))
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{CpusVariable}='{cpus}' is not a CPU count from 1 to {MaxCpus}");
        }
        string extra = (kernelArgs ?? "").Trim();
        if (extra.Any(c => char.IsControl(c)))
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{KernelArgsVariable} contains a control character; give space-separated kernel parameters");
        }
        return new L1Tuning(count, extra);
    }
}

using System.Globalization;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// What can be varied about the L1 machine for experiments (the concurrent-boot A/B runs in the
/// README's "Known limits"): its CPU count, extra kernel parameters, extra TCG options and a monitor socket, from the environment.
/// </summary>
internal sealed record L1Tuning(int Cpus, string ExtraKernelArgs, string ExtraAccelOptions = "", string MonitorSocket = "")
{
    /// <summary>Overrides <see cref="QemuArguments.Cpus"/> (TCG threads; more than the host's cores only time-share them).</summary>
    public const string CpusVariable = "KATASHARP_TESTHOST_L1_CPUS";

    /// <summary>Appended to L1's kernel command line (after the defaults, so it can override them).</summary>
    public const string KernelArgsVariable = "KATASHARP_TESTHOST_L1_CMDLINE";

    /// <summary>Appended to QEMU's <c>-accel tcg,thread=multi</c> (e.g. <c>tb-size=16</c>, the size of TCG's code buffer in MiB).</summary>
    public const string AccelOptionsVariable = "KATASHARP_TESTHOST_L1_ACCEL";

    /// <summary>A Unix socket path for QEMU's human monitor (e.g. <c>info jit</c>: how often TCG flushed its code buffer).</summary>
    public const string MonitorVariable = "KATASHARP_TESTHOST_L1_MONITOR";

    private const int MaxCpus = 16;

    public static readonly L1Tuning Default = new(QemuArguments.Cpus, "");

    public static L1Tuning FromEnvironment() =>
        Parse(Environment.GetEnvironmentVariable(CpusVariable), Environment.GetEnvironmentVariable(KernelArgsVariable))
            with
            {
                ExtraAccelOptions = ParseAccelOptions(Environment.GetEnvironmentVariable(AccelOptionsVariable)),
                MonitorSocket = ParseMonitorSocket(Environment.GetEnvironmentVariable(MonitorVariable)),
            };

    public static string ParseMonitorSocket(string? path)
    {
        string value = (path ?? "").Trim();
        if (value.Length > 0 && (!value.StartsWith('/') || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{MonitorVariable}='{path}' is not an absolute socket path without whitespace");
        }
        return value;
    }

    public static string ParseAccelOptions(string? options)
    {
        string value = (options ?? "").Trim();
        if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c is '=' or ',' or '-'))
        {
            throw new TestHostException(TestHostError.InvalidConfiguration,
                $"{AccelOptionsVariable}='{options}' is not a list of QEMU tcg accelerator options (letters, digits, '=', ',' and '-' only), e.g. tb-size=16");
        }
        return value;
    }

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

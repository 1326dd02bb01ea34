namespace KataSharp.TestHost.Modes;

/// <summary>
/// Direct mode needs hardware virtualization the guest kernel can use: the CPU flag (vmx/svm)
/// and a /dev/kvm served by kvm_intel/kvm_amd. A PVM-backed /dev/kvm (module kvm_pvm, no VT-x)
/// cannot boot Linux in useful time, so such machines, and anything else, use the nested host.
/// </summary>
internal static class ModeDetector
{
    public static ModeDecision Decide(MachineFacts facts)
    {
        switch (facts.ModeOverride?.Trim().ToLowerInvariant())
        {
            case null or "":
                break;
            case "nested":
                return new ModeDecision(TestHostMode.Nested, $"forced by {MachineFacts.OverrideVariable}=nested");
            case "direct":
                return new ModeDecision(TestHostMode.Direct, $"forced by {MachineFacts.OverrideVariable}=direct");
            default:
                throw new TestHostException(TestHostError.InvalidConfiguration,
                    $"{MachineFacts.OverrideVariable}='{facts.ModeOverride}' is not a mode; use 'nested', 'direct' or leave it unset");
        }

        string? flag = HardwareVirtualizationFlag(facts.CpuInfo);
        if (flag is null)
        {
            return new ModeDecision(TestHostMode.Nested, "the CPU has no vmx/svm flag (no hardware virtualization)");
        }
        if (!facts.HasKvmDevice)
        {
            return new ModeDecision(TestHostMode.Nested, $"the CPU has {flag} but /dev/kvm does not exist");
        }
        if (facts.LoadedModules.Contains("kvm_pvm"))
        {
            return new ModeDecision(TestHostMode.Nested, $"the CPU has {flag} but /dev/kvm is PVM-backed (kvm_pvm)");
        }
        string module = flag == "vmx" ? "kvm_intel" : "kvm_amd";
        return facts.LoadedModules.Contains(module)
            ? new ModeDecision(TestHostMode.Direct, $"the CPU has {flag} and /dev/kvm is served by {module}")
            : new ModeDecision(TestHostMode.Nested, $"the CPU has {flag} but {module} is not loaded");
    }

    /// <summary>"vmx" or "svm" when any processor's flags line lists it, else null.</summary>
    public static string? HardwareVirtualizationFlag(string cpuInfo)
    {
        foreach (string line in cpuInfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || line[..colon].Trim() != "flags")
            {
                continue;
            }
            string[] flags = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (flags.Contains("vmx"))
            {
                return "vmx";
            }
            if (flags.Contains("svm"))
            {
                return "svm";
            }
        }
        return null;
    }
}

namespace KataSharp.Cli.Commands;

/// <summary>What kind of KVM this host has: none, hardware-backed (VT-x/AMD-V), or PVM (no hardware virtualization).</summary>
public static class KvmProbe
{
    public const string DevicePath = "/dev/kvm";

    public static (bool Usable, string Detail) Device() => DeviceNodeProbe.OpenReadWrite(DevicePath,
        $"{DevicePath} does not exist: load kvm_intel or kvm_amd (and enable virtualization in the firmware)",
        $"{DevicePath} opens read-write",
        error => $"{DevicePath} cannot be opened read-write ({error}): run as root or join the kvm group");

    /// <summary>True with VT-x/AMD-V; false (with the reason) otherwise.</summary>
    public static (bool HardwareBacked, string Detail) Acceleration()
    {
        string flags = File.Exists("/proc/cpuinfo")
            ? string.Join(' ', File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("flags", StringComparison.Ordinal)).Take(1))
            : "";
        var words = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Contains("vmx") || words.Contains("svm"))
        {
            return (true, words.Contains("vmx") ? "hardware virtualization (Intel VT-x)" : "hardware virtualization (AMD-V)");
        }
        if (Directory.Exists("/sys/module/kvm_pvm"))
        {
            return (false, "KVM is PVM-backed (no VT-x/AMD-V): only tiny guest programs run; Linux guests need the nested test host (tests/testhost)");
        }
        return (false, "the CPU reports neither vmx nor svm: Linux guests cannot boot at useful speed here");
    }
}

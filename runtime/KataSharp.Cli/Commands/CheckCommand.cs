using System.CommandLine;
using System.Text.Json;
using KataSharp.Cli.Reports;
using KataSharp.Linux.Seccomp;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Rootfs;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp check`: can this host run pods in KataSharp microVMs? One line per fact (or --json); exit 1 on any failure.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print the checks as JSON: {ok, failures, checks: [{name, status, detail}]}" };
        var command = new Command("check", "can this host run pods in KataSharp microVMs (KVM, guest assets, containerd)?") { json };
        command.SetAction(result => Run(result.InvocationConfiguration.Output, ContainerdRegistration.DefaultConfigPath, result.GetValue(json)));
        return command;
    }

    public static int Run(TextWriter output, string containerdConfigPath, bool json = false) => Write(Inspect(containerdConfigPath), output, json);

    /// <summary>Prints <paramref name="report"/> as text or JSON; 1 when anything failed.</summary>
    public static int Write(CheckReport report, TextWriter output, bool json)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, ReportJsonContext.Output.CheckReport));
        }
        else
        {
            foreach (CheckItem item in report.Checks)
            {
                output.WriteLine($"{Mark(item.Status)} {item.Name}: {item.Detail}");
            }
            output.WriteLine(report.Ok ? "katasharp can run here" : $"{report.Failures} problem(s): katasharp cannot run pods here yet");
        }
        return report.Ok ? 0 : 1;
    }

    /// <summary>What confines the VMM, and whether what that needs is here (util-linux unshare, libseccomp).</summary>
    public static (bool Ok, string Detail) VmmConfinement(RuntimeSettings runtime)
    {
        if (!runtime.ConfineVmm)
        {
            return (false, "the VMM is NOT confined ([runtime] confine_vmm = false, for debugging only): it runs inside the shim as root");
        }
        string? unshare = new[] { "/usr/bin/unshare", "/bin/unshare" }.FirstOrDefault(File.Exists);
        if (unshare is null)
        {
            return (false, "the confined VMM is started through util-linux unshare, which is not installed: apt-get install util-linux");
        }
        string seccomp;
        if (runtime.VmmSeccomp == VmmSeccompSetting.Off)
        {
            seccomp = "no seccomp filter (vmm_seccomp = \"off\", debugging only)";
        }
        else
        {
            try
            {
                _ = SeccompFilter.ResolveSyscall("read") ?? throw new EntryPointNotFoundException("libseccomp resolves no system call");
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return (false, $"the VMM's seccomp filter needs libseccomp.so.2 ({e.Message}): apt-get install libseccomp2");
            }
            seccomp = runtime.VmmSeccomp == VmmSeccompSetting.Log
                ? "seccomp allowlist in log mode (vmm_seccomp = \"log\": refused calls are only logged)"
                : "seccomp allowlist on every thread (a call outside it kills the VMM)";
        }
        return (true, $"its own process (started by {unshare}): mount, PID, network, IPC and UTS namespaces, an empty read-only root, " +
            $"uid and gid {runtime.VmmUidBase} + the shim's pid, no capabilities, no_new_privs, not dumpable, rlimits; {seccomp}");
    }

    public static CheckReport Inspect(string containerdConfigPath)
    {
        var checks = new List<CheckItem>();
        void Report(bool ok, string what, string detail, bool fatal = true) =>
            checks.Add(new CheckItem(what, ok ? CheckItem.Passed : fatal ? CheckItem.Failed : CheckItem.Warning, detail));

        var (usable, device) = KvmProbe.Device();
        Report(usable, "kvm", device);
        var (hardware, acceleration) = KvmProbe.Acceleration();
        Report(hardware, "virtualization", acceleration, fatal: false);

        try
        {
            RuntimeConfiguration configuration = ConfigurationLoader.Load();
            var (_, reason) = ConfigurationLoader.Locate();
            Report(true, "configuration", $"{configuration.SourcePath} ({reason})");
            var problems = ConfigurationAssets.FindProblems(configuration);
            Report(problems.Count == 0, "guest assets", problems.Count == 0
                ? $"kernel {configuration.Hypervisor.Kernel}, initrd {configuration.Hypervisor.Initrd}"
                : string.Join("; ", problems));
            RuntimeSettings runtime = configuration.Runtime;
            Report(runtime.ConfineLayerConversion, "layer conversion", runtime.ConfineLayerConversion
                ? $"mkfs.erofs confined: own mount (the layer read-only), network, IPC and UTS namespaces, no_new_privs, capabilities {LayerConversionConfinement.KeptCapabilities}; killed after {runtime.LayerConversionTimeoutSeconds} s"
                : $"mkfs.erofs NOT confined ([runtime] confine_layer_conversion = false, for debugging only); killed after {runtime.LayerConversionTimeoutSeconds} s",
                fatal: false);
            var (confined, confinement) = VmmConfinement(runtime);
            Report(confined, "vmm confinement", confinement, fatal: runtime.ConfineVmm);
        }
        catch (ConfigurationException e)
        {
            Report(false, "configuration", e.Message);
        }

        // Only net_datapath = "vhost"/"auto" use it, so its absence is a warning.
        var (vhost, vhostDetail) = VhostProbe.Device();
        Report(vhost, "vhost-net", vhostDetail, fatal: false);

        string? erofs = new[] { "/usr/bin/mkfs.erofs", "/sbin/mkfs.erofs", "/usr/sbin/mkfs.erofs" }.FirstOrDefault(File.Exists);
        Report(erofs is not null, "erofs-utils", erofs ?? "mkfs.erofs not found: apt-get install erofs-utils");

        string? shim = Installation.FindShim();
        Report(shim is not null, "shim", shim ?? $"{Installation.ShimBinary} is not on PATH: run `katasharp install`");
        if (shim is not null)
        {
            string vmm = Path.Combine(Path.GetDirectoryName(shim) ?? "/", Installation.SandboxVmmBinary);
            bool present = File.Exists(vmm);
            Report(present, "sandbox vmm", present ? vmm : $"{vmm} is missing (the shim starts it for every sandbox): run `katasharp install`");
        }

        ReportContainerd(containerdConfigPath, Report);
        int failures = checks.Count(c => c.Status == CheckItem.Failed);
        return new CheckReport(failures == 0, failures, checks);
    }

    private static void ReportContainerd(string containerdConfigPath, Action<bool, string, string, bool> report)
    {
        if (!File.Exists(containerdConfigPath))
        {
            report(false, "containerd", $"{containerdConfigPath} does not exist: CRI cannot use katasharp until `katasharp install` registers it", false);
            return;
        }
        bool registered;
        try
        {
            registered = ContainerdRegistration.IsRegistered(File.ReadAllText(containerdConfigPath));
        }
        catch (InvalidDataException e)
        {
            report(false, "containerd", $"{containerdConfigPath}: {e.Message}", true);
            return;
        }
        report(registered, "containerd", registered
            ? $"{containerdConfigPath} has CRI runtime handler \"{ContainerdRegistration.Handler}\""
            : $"{containerdConfigPath} has no CRI runtime handler \"{ContainerdRegistration.Handler}\" (ctr --runtime {ContainerdRegistration.RuntimeType} still works): run `katasharp install`",
            false);
    }

    private static string Mark(string status) => status switch
    {
        CheckItem.Passed => "ok  ",
        CheckItem.Failed => "FAIL",
        _ => "warn",
    };
}

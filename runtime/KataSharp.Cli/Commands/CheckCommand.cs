using KataSharp.Runtime.Configuration;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp check`: can this host run pods in KataSharp microVMs? One line per fact; exit 1 on any failure.</summary>
public static class CheckCommand
{
    public static int Run(TextWriter output, string containerdConfigPath)
    {
        int failures = 0;
        void Report(bool ok, string what, string detail, bool fatal = true)
        {
            string mark = ok ? "ok  " : fatal ? "FAIL" : "warn";
            output.WriteLine($"{mark} {what}: {detail}");
            if (!ok && fatal)
            {
                failures++;
            }
        }

        var (usable, device) = KvmProbe.Device();
        Report(usable, "kvm", device);
        var (hardware, acceleration) = KvmProbe.Acceleration();
        Report(hardware, "virtualization", acceleration, fatal: false);

        var (configPath, reason) = ConfigurationLoader.Locate();
        try
        {
            RuntimeConfiguration configuration = ConfigurationLoader.Load();
            Report(true, "configuration", $"{configuration.SourcePath} ({reason})");
            var problems = ConfigurationAssets.FindProblems(configuration);
            Report(problems.Count == 0, "guest assets", problems.Count == 0
                ? $"kernel {configuration.Hypervisor.Kernel}, initrd {configuration.Hypervisor.Initrd}"
                : string.Join("; ", problems));
        }
        catch (ConfigurationException e)
        {
            Report(false, "configuration", configPath is null ? e.Message : $"{e.Message}");
        }

        string? erofs = new[] { "/usr/bin/mkfs.erofs", "/sbin/mkfs.erofs", "/usr/sbin/mkfs.erofs" }.FirstOrDefault(File.Exists);
        Report(erofs is not null, "erofs-utils", erofs ?? "mkfs.erofs not found: apt-get install erofs-utils");

        string? shim = Installation.FindShim();
        Report(shim is not null, "shim", shim ?? $"{Installation.ShimBinary} is not on PATH: run `katasharp install`");

        if (File.Exists(containerdConfigPath))
        {
            bool registered;
            try
            {
                registered = ContainerdRegistration.IsRegistered(File.ReadAllText(containerdConfigPath));
            }
            catch (InvalidDataException e)
            {
                Report(false, "containerd", $"{containerdConfigPath}: {e.Message}");
                return failures > 0 ? 1 : 0;
            }
            Report(registered, "containerd", registered
                ? $"{containerdConfigPath} has CRI runtime handler \"{ContainerdRegistration.Handler}\""
                : $"{containerdConfigPath} has no CRI runtime handler \"{ContainerdRegistration.Handler}\" (ctr --runtime {ContainerdRegistration.RuntimeType} still works): run `katasharp install`",
                fatal: false);
        }
        else
        {
            Report(false, "containerd", $"{containerdConfigPath} does not exist: CRI cannot use katasharp until `katasharp install` registers it", fatal: false);
        }
        output.WriteLine(failures == 0 ? "katasharp can run here" : $"{failures} problem(s): katasharp cannot run pods here yet");
        return failures == 0 ? 0 : 1;
    }
}

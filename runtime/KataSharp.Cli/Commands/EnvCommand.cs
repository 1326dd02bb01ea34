using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp env`: the configuration the shim would use, with every resolved value and path.</summary>
public static class EnvCommand
{
    public static int Run(TextWriter output)
    {
        var (path, reason) = ConfigurationLoader.Locate();
        output.WriteLine($"config.path = \"{path ?? "(none)"}\"");
        output.WriteLine($"config.reason = \"{reason}\"");
        output.WriteLine($"state.dir = \"{SandboxStateStore.FromEnvironment().Root}\"");
        output.WriteLine($"shim.path = \"{Installation.FindShim() ?? "(not installed)"}\"");
        RuntimeConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load();
        }
        catch (ConfigurationException e)
        {
            output.WriteLine($"# {e.Message.Replace("\n", "\n# ")}");
            return 1;
        }
        var h = configuration.Hypervisor;
        output.WriteLine($"[{ConfigurationParser.HypervisorTable}]");
        output.WriteLine($"kernel = \"{h.Kernel}\"{Missing(h.Kernel)}");
        output.WriteLine($"initrd = \"{h.Initrd}\"{Missing(h.Initrd)}");
        output.WriteLine($"vcpus = {h.Vcpus}");
        output.WriteLine($"memory_mib = {h.MemoryMib}");
        output.WriteLine($"kernel_params = \"{h.KernelParams}\"");
        output.WriteLine($"boot_timeout_seconds = {h.BootTimeoutSeconds}");
        output.WriteLine($"block_slots = {h.BlockSlots}");
        output.WriteLine($"max_vcpus = {h.MaxVcpus}");
        output.WriteLine($"max_memory_mib = {h.MaxMemoryMib}");
        output.WriteLine($"[{ConfigurationParser.AgentTable}]");
        output.WriteLine($"dial_timeout_seconds = {configuration.Agent.DialTimeoutSeconds}");
        output.WriteLine($"ready_timeout_seconds = {configuration.Agent.ReadyTimeoutSeconds}");
        output.WriteLine($"request_timeout_seconds = {configuration.Agent.RequestTimeoutSeconds}");
        output.WriteLine($"keepalive_interval_seconds = {configuration.Agent.KeepAliveIntervalSeconds}");
        output.WriteLine($"keepalive_timeout_seconds = {configuration.Agent.KeepAliveTimeoutSeconds}");
        output.WriteLine($"[{ConfigurationParser.RuntimeTable}]");
        output.WriteLine($"layer_cache_dir = \"{configuration.Runtime.LayerCacheDir}\"");
        output.WriteLine($"debug = {(configuration.Runtime.Debug ? "true" : "false")}");
        output.WriteLine($"io_drain_timeout_seconds = {configuration.Runtime.IoDrainTimeoutSeconds}");
        output.WriteLine($"sandbox_cgroup = {(configuration.Runtime.SandboxCgroup ? "true" : "false")}");
        return 0;
    }

    private static string Missing(string path) => File.Exists(path) ? "" : "  # missing";
}

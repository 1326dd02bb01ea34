using System.CommandLine;
using System.Text.Json;
using KataSharp.Cli.Reports;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Persistence;

namespace KataSharp.Cli.Commands;

/// <summary>`katasharp env`: the configuration the shim would use, with every resolved value and path (TOML-like text, or --json).</summary>
public static class EnvCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print it as JSON: {config: {path, reason}, state_dir, shim_path, error, hypervisor, agent, runtime}" };
        var command = new Command("env", "the configuration the shim would use, resolved, with its paths") { json };
        command.SetAction(result => Run(result.InvocationConfiguration.Output, result.GetValue(json)));
        return command;
    }

    public static int Run(TextWriter output, bool json = false) => Write(Inspect(), output, json);

    /// <summary>Prints <paramref name="report"/> as text or JSON; 1 when the configuration did not load.</summary>
    public static int Write(EnvReport report, TextWriter output, bool json)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, ReportJsonContext.Output.EnvReport));
        }
        else
        {
            WriteText(report, output);
        }
        return report.Error is null ? 0 : 1;
    }

    public static EnvReport Inspect()
    {
        var (path, reason) = ConfigurationLoader.Locate();
        var source = new EnvConfigSource(path, reason);
        string stateDir = SandboxStateStore.FromEnvironment().Root;
        string? shim = Installation.FindShim();
        RuntimeConfiguration configuration;
        try
        {
            configuration = ConfigurationLoader.Load();
        }
        catch (ConfigurationException e)
        {
            return new EnvReport(source, stateDir, shim, e.Message, null, null, null);
        }
        var h = configuration.Hypervisor;
        var a = configuration.Agent;
        var r = configuration.Runtime;
        return new EnvReport(source, stateDir, shim, null,
            new EnvHypervisor(h.Kernel, File.Exists(h.Kernel), h.Initrd, File.Exists(h.Initrd), h.Vcpus, h.MemoryMib, h.KernelParams,
                h.BootTimeoutSeconds, h.BlockSlots, h.MaxVcpus, h.MaxMemoryMib),
            new EnvAgent(a.DialTimeoutSeconds, a.ReadyTimeoutSeconds, a.RequestTimeoutSeconds, a.KeepAliveIntervalSeconds, a.KeepAliveTimeoutSeconds),
            new EnvRuntime(r.LayerCacheDir, r.LayerCacheMaxMib, r.Debug, r.IoDrainTimeoutSeconds, r.SandboxCgroup,
                r.VolumeMaxMib, r.VolumeMaxEntries, r.VolumeSyncIntervalMs, LogLevelNames.Name(r.LogLevel), r.ConsoleLogMaxKib, r.DebugConsole));
    }

    private static void WriteText(EnvReport report, TextWriter output)
    {
        output.WriteLine($"config.path = \"{report.Config.Path ?? "(none)"}\"");
        output.WriteLine($"config.reason = \"{report.Config.Reason}\"");
        output.WriteLine($"state.dir = \"{report.StateDir}\"");
        output.WriteLine($"shim.path = \"{report.ShimPath ?? "(not installed)"}\"");
        if (report.Error is not null || report.Hypervisor is null || report.Agent is null || report.Runtime is null)
        {
            output.WriteLine($"# {report.Error?.Replace("\n", "\n# ")}");
            return;
        }
        var h = report.Hypervisor;
        output.WriteLine($"[{ConfigurationParser.HypervisorTable}]");
        output.WriteLine($"kernel = \"{h.Kernel}\"{Missing(h.KernelExists)}");
        output.WriteLine($"initrd = \"{h.Initrd}\"{Missing(h.InitrdExists)}");
        output.WriteLine($"vcpus = {h.Vcpus}");
        output.WriteLine($"memory_mib = {h.MemoryMib}");
        output.WriteLine($"kernel_params = \"{h.KernelParams}\"");
        output.WriteLine($"boot_timeout_seconds = {h.BootTimeoutSeconds}");
        output.WriteLine($"block_slots = {h.BlockSlots}");
        output.WriteLine($"max_vcpus = {h.MaxVcpus}");
        output.WriteLine($"max_memory_mib = {h.MaxMemoryMib}");
        var a = report.Agent;
        output.WriteLine($"[{ConfigurationParser.AgentTable}]");
        output.WriteLine($"dial_timeout_seconds = {a.DialTimeoutSeconds}");
        output.WriteLine($"ready_timeout_seconds = {a.ReadyTimeoutSeconds}");
        output.WriteLine($"request_timeout_seconds = {a.RequestTimeoutSeconds}");
        output.WriteLine($"keepalive_interval_seconds = {a.KeepaliveIntervalSeconds}");
        output.WriteLine($"keepalive_timeout_seconds = {a.KeepaliveTimeoutSeconds}");
        var r = report.Runtime;
        output.WriteLine($"[{ConfigurationParser.RuntimeTable}]");
        output.WriteLine($"layer_cache_dir = \"{r.LayerCacheDir}\"");
        output.WriteLine($"layer_cache_max_mib = {r.LayerCacheMaxMib}");
        output.WriteLine($"log_level = \"{r.LogLevel}\"");
        output.WriteLine($"debug = {Bool(r.Debug)}");
        output.WriteLine($"debug_console = {Bool(r.DebugConsole)}");
        output.WriteLine($"console_log_max_kib = {r.ConsoleLogMaxKib}");
        output.WriteLine($"io_drain_timeout_seconds = {r.IoDrainTimeoutSeconds}");
        output.WriteLine($"sandbox_cgroup = {Bool(r.SandboxCgroup)}");
        output.WriteLine($"volume_max_mib = {r.VolumeMaxMib}");
        output.WriteLine($"volume_max_entries = {r.VolumeMaxEntries}");
        output.WriteLine($"volume_sync_interval_ms = {r.VolumeSyncIntervalMs}");
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Missing(bool exists) => exists ? "" : "  # missing";
}

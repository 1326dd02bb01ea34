using KataSharp.Runtime.Logging;
using Tomlyn;
using Tomlyn.Model;

namespace KataSharp.Runtime.Configuration;

/// <summary>
/// configuration.toml text → <see cref="RuntimeConfiguration"/>. Collects every problem (syntax,
/// unknown keys and tables, wrong types, out-of-range values) and throws them together.
/// Whether the files it names exist is checked later, by <see cref="ConfigurationAssets"/>.
/// </summary>
public static class ConfigurationParser
{
    public const string HypervisorTable = "hypervisor.katasharp";
    public const string AgentTable = "agent";
    public const string RuntimeTable = "runtime";

    public static RuntimeConfiguration Parse(string text, string source)
    {
        TomlTable root;
        try
        {
            root = TomlText.Parse(text);
        }
        catch (TomlException e)
        {
            throw new ConfigurationException(source, [$"not valid TOML: {e.Message}"]);
        }

        var problems = new List<string>();
        TomlTable? hypervisors = Table(root, "hypervisor", "hypervisor", problems);
        TomlTable? katasharp = Table(hypervisors, "katasharp", HypervisorTable, problems);
        if (katasharp is null)
        {
            problems.Add($"missing table [{HypervisorTable}]: it must name at least the guest kernel ({HypervisorTable}.kernel) and initrd ({HypervisorTable}.initrd)");
        }
        var hypervisor = ReadHypervisor(new TomlSectionReader(katasharp, HypervisorTable, problems), requireAssets: katasharp is not null);
        var agent = ReadAgent(new TomlSectionReader(Table(root, AgentTable, AgentTable, problems), AgentTable, problems));
        var runtime = ReadRuntime(new TomlSectionReader(Table(root, RuntimeTable, RuntimeTable, problems), RuntimeTable, problems));

        new TomlSectionReader(hypervisors, "hypervisor", problems).RejectUnknownKeys(["katasharp"]);
        RejectUnknownTables(root, problems);
        if (problems.Count > 0)
        {
            throw new ConfigurationException(source, problems);
        }
        return new RuntimeConfiguration(hypervisor, agent, runtime, source);
    }

    /// <param name="requireAssets">False when the whole table is missing (already reported once, not per key).</param>
    private static HypervisorSettings ReadHypervisor(TomlSectionReader r, bool requireAssets)
    {
        var settings = new HypervisorSettings(
            Kernel: requireAssets
                ? r.RequiredString("kernel", "the path of the guest vmlinux (built by guest-image/kernel/build-kernel.sh, installed by `katasharp install`)")
                : "",
            Initrd: requireAssets
                ? r.RequiredString("initrd", "the path of the guest initrd holding init and the agent (installed by `katasharp install`)")
                : "",
            Vcpus: r.Int("vcpus", 1, 1, 32),
            MemoryMib: r.Int("memory_mib", 256, 64, 65536),
            KernelParams: r.String("kernel_params", ""),
            BootTimeoutSeconds: r.Int("boot_timeout_seconds", 60, 1, 3600),
            BlockSlots: r.Int("block_slots", 8, 1, 64),
            MaxVcpus: r.Int("max_vcpus", 8, 1, 32),
            MaxMemoryMib: r.Int("max_memory_mib", 8192, 64, 65536),
            NetDatapath: ReadNetDatapath(r));
        r.RejectUnknownKeys();
        if (settings.Vcpus > settings.MaxVcpus)
        {
            r.Problem($"{r.Key("vcpus")} = {settings.Vcpus} is more than {r.Key("max_vcpus")} = {settings.MaxVcpus}");
        }
        if (settings.MemoryMib > settings.MaxMemoryMib)
        {
            r.Problem($"{r.Key("memory_mib")} = {settings.MemoryMib} is more than {r.Key("max_memory_mib")} = {settings.MaxMemoryMib}");
        }
        return settings;
    }

    private static NetDatapathSetting ReadNetDatapath(TomlSectionReader r)
    {
        string value = r.String("net_datapath", "userspace");
        switch (value)
        {
            case "userspace":
                return NetDatapathSetting.Userspace;
            case "vhost":
                return NetDatapathSetting.Vhost;
            case "auto":
                return NetDatapathSetting.Auto;
            default:
                r.Problem($"{r.Key("net_datapath")} = \"{value}\" is not a data path: give \"userspace\", \"vhost\" or \"auto\"");
                return NetDatapathSetting.Userspace;
        }
    }

    private static AgentSettings ReadAgent(TomlSectionReader r)
    {
        var settings = new AgentSettings(
            DialTimeoutSeconds: r.Int("dial_timeout_seconds", 5, 1, 600),
            ReadyTimeoutSeconds: r.Int("ready_timeout_seconds", 30, 1, 3600),
            RequestTimeoutSeconds: r.Int("request_timeout_seconds", 60, 1, 3600),
            KeepAliveIntervalSeconds: r.Int("keepalive_interval_seconds", 10, 1, 3600),
            KeepAliveTimeoutSeconds: r.Int("keepalive_timeout_seconds", 60, 1, 3600));
        r.RejectUnknownKeys();
        return settings;
    }

    private static RuntimeSettings ReadRuntime(TomlSectionReader r)
    {
        var settings = new RuntimeSettings(
            LayerCacheDir: r.String("layer_cache_dir", "/var/lib/katasharp/layers"),
            Debug: r.Bool("debug", false),
            IoDrainTimeoutSeconds: r.Int("io_drain_timeout_seconds", 5, 0, 600),
            SandboxCgroup: r.Bool("sandbox_cgroup", true),
            VolumeMaxMib: r.Int("volume_max_mib", 16, 1, 1024),
            VolumeMaxEntries: r.Int("volume_max_entries", 1024, 1, 1 << 20),
            VolumeSyncIntervalMs: r.Int("volume_sync_interval_ms", 1000, 100, 60_000),
            LayerCacheMaxMib: r.Int("layer_cache_max_mib", 0, 0, 16 << 20),
            LayerConversionTimeoutSeconds: r.Int("layer_conversion_timeout_seconds", 600, 1, 86_400),
            ConfineLayerConversion: r.Bool("confine_layer_conversion", true),
            LogLevel: LogLevel(r),
            ConsoleLogMaxKib: r.Int("console_log_max_kib", 1024, 0, 1 << 20),
            DebugConsole: r.Bool("debug_console", false),
            ConfineVmm: r.Bool("confine_vmm", true),
            VmmSeccomp: ReadVmmSeccomp(r),
            VmmUidBase: (uint)r.Int("vmm_uid_base", (int)RuntimeSettings.DefaultVmmUidBase, 1, int.MaxValue - (1 << 22)));
        r.RejectUnknownKeys();
        if (settings.ConsoleLogMaxKib is > 0 and < RuntimeSettings.MinConsoleLogKib)
        {
            r.Problem($"{r.Key("console_log_max_kib")} = {settings.ConsoleLogMaxKib} is too small: it must be 0 (no console file) or at least {RuntimeSettings.MinConsoleLogKib}");
        }
        if (!Path.IsPathFullyQualified(settings.LayerCacheDir))
        {
            r.Problem($"{r.Key("layer_cache_dir")} = \"{settings.LayerCacheDir}\" must be an absolute path");
        }
        return settings;
    }

    private static VmmSeccompSetting ReadVmmSeccomp(TomlSectionReader r)
    {
        string value = r.String("vmm_seccomp", "kill");
        switch (value)
        {
            case "kill":
                return VmmSeccompSetting.Kill;
            case "log":
                return VmmSeccompSetting.Log;
            case "off":
                return VmmSeccompSetting.Off;
            default:
                r.Problem($"{r.Key("vmm_seccomp")} = \"{value}\" is not a seccomp mode: give \"kill\", \"log\" (debugging: what the filter would refuse goes to the kernel log) or \"off\"");
                return VmmSeccompSetting.Kill;
        }
    }

    private static LogSeverity LogLevel(TomlSectionReader r)
    {
        string name = r.String("log_level", "info");
        if (LogLevelNames.TryParse(name, out LogSeverity level))
        {
            return level;
        }
        r.Problem($"{r.Key("log_level")} = \"{name}\" is not a log level: it must be one of {string.Join(", ", LogLevelNames.All)}");
        return LogSeverity.Info;
    }

    private static TomlTable? Table(TomlTable? parent, string name, string path, List<string> problems)
    {
        if (parent is null || !parent.TryGetValue(name, out object? value))
        {
            return null;
        }
        if (value is TomlTable table)
        {
            return table;
        }
        problems.Add($"{path} must be a table ([{path}]), not a value");
        return null;
    }

    private static void RejectUnknownTables(TomlTable root, List<string> problems)
    {
        foreach (string key in root.Keys)
        {
            if (key is not ("hypervisor" or AgentTable or RuntimeTable))
            {
                problems.Add($"unknown key {key} (known tables: [{HypervisorTable}], [{AgentTable}], [{RuntimeTable}])");
            }
        }
    }
}

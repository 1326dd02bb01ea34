using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Logging;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Configuration;

public class ConfigurationTests
{
    private const string Minimal = """
        [hypervisor.katasharp]
        kernel = "/k/vmlinux"
        initrd = "/k/initrd"
        """;

    [Fact]
    public void Minimal_file_gets_the_documented_defaults()
    {
        var configuration = ConfigurationParser.Parse(Minimal, "test.toml");
        Assert.Equal(new HypervisorSettings("/k/vmlinux", "/k/initrd", 1, 256, "", 60, 8), configuration.Hypervisor);
        Assert.Equal(new AgentSettings(5, 30, 60, 10, 60), configuration.Agent);
        Assert.Equal(new RuntimeSettings("/var/lib/katasharp/layers", false, 5), configuration.Runtime);
        Assert.Equal("test.toml", configuration.SourcePath);
    }

    [Fact]
    public void The_repository_default_configuration_parses_and_sets_every_key()
    {
        string path = Path.Combine(RepositoryRoot(), "configuration.toml");
        string text = File.ReadAllText(path);
        var configuration = ConfigurationParser.Parse(text, path);
        Assert.Equal("/usr/share/katasharp/vmlinux", configuration.Hypervisor.Kernel);
        foreach (string key in new[] { "kernel", "initrd", "vcpus", "memory_mib", "kernel_params", "boot_timeout_seconds", "block_slots", "net_datapath",
                     "dial_timeout_seconds", "ready_timeout_seconds", "layer_cache_dir", "debug", "debug_console", "io_drain_timeout_seconds" })
        {
            Assert.Contains($"\n{key} = ", text);
        }
    }

    [Theory]
    [InlineData("userspace", NetDatapathSetting.Userspace)]
    [InlineData("vhost", NetDatapathSetting.Vhost)]
    [InlineData("auto", NetDatapathSetting.Auto)]
    public void Net_datapath_takes_userspace_vhost_or_auto(string value, NetDatapathSetting expected)
    {
        var configuration = ConfigurationParser.Parse(Minimal + $"\nnet_datapath = \"{value}\"\n", "test.toml");
        Assert.Equal(expected, configuration.Hypervisor.NetDatapath);
    }

    [Fact]
    public void Net_datapath_defaults_to_userspace_in_the_parser_and_the_shipped_file()
    {
        Assert.Equal(NetDatapathSetting.Userspace, ConfigurationParser.Parse(Minimal, "test.toml").Hypervisor.NetDatapath);
        string path = Path.Combine(RepositoryRoot(), "configuration.toml");
        Assert.Equal(NetDatapathSetting.Userspace, ConfigurationParser.Parse(File.ReadAllText(path), path).Hypervisor.NetDatapath);
    }

    [Fact]
    public void An_unknown_net_datapath_is_named_with_the_choices()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + "\nnet_datapath = \"kernel\"\n", "c.toml"));
        Assert.Contains("hypervisor.katasharp.net_datapath = \"kernel\"", error.Message);
        Assert.Contains("\"userspace\", \"vhost\" or \"auto\"", error.Message);
    }

    /// <summary>
    /// The keys the parser knows, per table, are the ones it lists when it rejects an unknown key; each must
    /// be set, under a comment, in the shipped configuration.toml, inside its own table. A key added to the
    /// parser and not to the file fails here.
    /// </summary>
    [Fact]
    public void Every_key_the_parser_knows_is_documented_in_the_default_configuration()
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "configuration.toml"));
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + "\nzz_unknown = 1\n[agent]\nzz_unknown = 1\n[runtime]\nzz_unknown = 1\n", "probe.toml"));
        Assert.Equal(3, error.Problems.Count);
        foreach (string problem in error.Problems)
        {
            // "unknown key runtime.zz_unknown (known keys in [runtime]: a, b, c)"
            string table = problem.Split("known keys in [")[1].Split(']')[0];
            string[] keys = problem.Split("]: ")[1].TrimEnd(')').Split(", ");
            Assert.NotEmpty(keys);
            string section = Section(text, table);
            foreach (string key in keys)
            {
                int at = section.IndexOf($"\n{key} = ", StringComparison.Ordinal);
                Assert.True(at >= 0, $"[{table}] {key} is not set in configuration.toml");
                // A comment right above, or a key of a group one comment documents (max_vcpus, max_memory_mib).
                string above = section[..at].Split('\n')[^1];
                Assert.True(above.StartsWith('#') || above.Contains(" = ", StringComparison.Ordinal), $"[{table}] {key} has no comment above it in configuration.toml");
            }
        }
    }

    /// <summary>The text of one [table] of a TOML file, from its header to the next one.</summary>
    private static string Section(string text, string table)
    {
        int start = text.IndexOf($"\n[{table}]\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"configuration.toml has no [{table}] table");
        int end = text.IndexOf("\n[", start + table.Length + 3, StringComparison.Ordinal);
        return end < 0 ? text[start..] : text[start..end];
    }

    [Fact]
    public void The_vmm_is_confined_with_a_killing_seccomp_filter_unless_the_debugging_keys_say_otherwise()
    {
        RuntimeSettings defaults = ConfigurationParser.Parse(Minimal, "c.toml").Runtime;
        Assert.True(defaults.ConfineVmm);
        Assert.Equal(VmmSeccompSetting.Kill, defaults.VmmSeccomp);
        Assert.Equal(RuntimeSettings.DefaultVmmUidBase, defaults.VmmUidBase);
        RuntimeSettings shipped = ConfigurationParser.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "configuration.toml")), "configuration.toml").Runtime;
        Assert.Equal((true, VmmSeccompSetting.Kill, RuntimeSettings.DefaultVmmUidBase), (shipped.ConfineVmm, shipped.VmmSeccomp, shipped.VmmUidBase));
        RuntimeSettings debugging = ConfigurationParser.Parse(Minimal + "\n[runtime]\nconfine_vmm = false\nvmm_seccomp = \"log\"\nvmm_uid_base = 500000000\n", "c.toml").Runtime;
        Assert.Equal((false, VmmSeccompSetting.Log, 500_000_000u), (debugging.ConfineVmm, debugging.VmmSeccomp, debugging.VmmUidBase));
    }

    [Theory]
    [InlineData("vmm_seccomp = \"strict\"", "runtime.vmm_seccomp = \"strict\" is not a seccomp mode: give \"kill\", \"log\" (debugging: what the filter would refuse goes to the kernel log) or \"off\"")]
    [InlineData("vmm_uid_base = 0", "runtime.vmm_uid_base")]
    [InlineData("confine_vmm = \"yes\"", "runtime.confine_vmm")]
    public void A_bad_vmm_confinement_key_fails_loading_naming_it(string line, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + $"\n[runtime]\n{line}\n", "c.toml"));
        Assert.StartsWith(expected, Assert.Single(error.Problems));
    }

    [Theory]
    [InlineData("debug", LogSeverity.Debug)]
    [InlineData("info", LogSeverity.Info)]
    [InlineData("warn", LogSeverity.Warning)]
    [InlineData("error", LogSeverity.Error)]
    public void Log_level_takes_the_four_names(string name, LogSeverity expected)
    {
        var settings = ConfigurationParser.Parse(Minimal + $"\n[runtime]\nlog_level = \"{name}\"\n", "c.toml").Runtime;
        Assert.Equal(expected, settings.LogLevel);
        Assert.Equal(expected, settings.EffectiveLogLevel);
        Assert.Equal(LogSeverity.Debug, (settings with { Debug = true }).EffectiveLogLevel);
    }

    [Theory]
    [InlineData("\"verbose\"", "runtime.log_level = \"verbose\" is not a log level: it must be one of debug, info, warn, error")]
    [InlineData("\"Info\"", "runtime.log_level = \"Info\" is not a log level: it must be one of debug, info, warn, error")]
    [InlineData("\"warning\"", "runtime.log_level = \"warning\" is not a log level: it must be one of debug, info, warn, error")]
    [InlineData("2", "runtime.log_level must be a string, got the integer 2")]
    public void A_bad_log_level_fails_loading_naming_the_key_and_the_levels(string value, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + $"\n[runtime]\nlog_level = {value}\n", "c.toml"));
        Assert.Equal(expected, Assert.Single(error.Problems));
        Assert.Equal($"configuration c.toml: {expected}", error.Message);
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(64, null)]
    [InlineData(1 << 20, null)]
    [InlineData(63, "runtime.console_log_max_kib = 63 is too small: it must be 0 (no console file) or at least 64")]
    [InlineData(-1, "runtime.console_log_max_kib = -1 is out of range: it must be between 0 and 1048576")]
    [InlineData((1 << 20) + 1, "runtime.console_log_max_kib = 1048577 is out of range: it must be between 0 and 1048576")]
    public void Console_log_cap_is_off_or_at_least_one_line_of_room(int kib, string? problem)
    {
        string text = Minimal + $"\n[runtime]\nconsole_log_max_kib = {kib}\n";
        if (problem is null)
        {
            Assert.Equal(kib, ConfigurationParser.Parse(text, "c.toml").Runtime.ConsoleLogMaxKib);
        }
        else
        {
            Assert.Equal(problem, Assert.Single(Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(text, "c.toml")).Problems));
        }
    }

    [Fact]
    public void Unknown_keys_and_tables_are_named()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + """

            kernal_params = "typo"
            [agent]
            dial_timeout = 3
            [hypervisor.qemu]
            path = "/usr/bin/qemu"
            [extra]
            """, "bad.toml"));
        Assert.Contains("unknown key hypervisor.katasharp.kernal_params", error.Message);
        Assert.Contains("unknown key agent.dial_timeout", error.Message);
        Assert.Contains("unknown key hypervisor.qemu", error.Message);
        Assert.Contains("unknown key extra", error.Message);
        Assert.Equal(4, error.Problems.Count);
        Assert.StartsWith("configuration bad.toml: 4 problems:", error.Message);
    }

    [Fact]
    public void Missing_kernel_key_names_hypervisor_katasharp_kernel()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse("""
            [hypervisor.katasharp]
            initrd = "/k/initrd"
            """, "c.toml"));
        Assert.Equal("hypervisor.katasharp.kernel is required: the path of the guest vmlinux (built by guest-image/kernel/build-kernel.sh, installed by `katasharp install`)",
            Assert.Single(error.Problems));
    }

    [Fact]
    public void Missing_hypervisor_table_is_reported_with_the_key_to_add()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse("[agent]\n", "c.toml"));
        Assert.Contains("missing table [hypervisor.katasharp]", error.Message);
        Assert.Contains("hypervisor.katasharp.kernel", error.Message);
    }

    [Fact]
    public void Every_wrong_type_and_range_is_reported_at_once()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse("""
            [hypervisor.katasharp]
            kernel = 5
            initrd = "/i"
            vcpus = "two"
            memory_mib = 1
            [runtime]
            debug = "yes"
            layer_cache_dir = "relative/dir"
            """, "c.toml"));
        Assert.Equal(
        [
            "hypervisor.katasharp.kernel must be a string, got the integer 5",
            "hypervisor.katasharp.vcpus must be an integer, got the string \"two\"",
            "hypervisor.katasharp.memory_mib = 1 is out of range: it must be between 64 and 65536",
            "runtime.debug must be true or false, got the string \"yes\"",
            "runtime.layer_cache_dir = \"relative/dir\" must be an absolute path",
        ], error.Problems);
    }

    [Fact]
    public void Debug_console_is_off_by_default_in_the_parser_and_the_shipped_file_and_separate_from_debug()
    {
        Assert.False(ConfigurationParser.Parse(Minimal, "test.toml").Runtime.DebugConsole);
        string path = Path.Combine(RepositoryRoot(), "configuration.toml");
        Assert.False(ConfigurationParser.Parse(File.ReadAllText(path), path).Runtime.DebugConsole);
        RuntimeSettings on = ConfigurationParser.Parse(Minimal + "\n[runtime]\ndebug_console = true\n", "test.toml").Runtime;
        Assert.True(on.DebugConsole);
        Assert.False(on.Debug);
        Assert.False(ConfigurationParser.Parse(Minimal + "\n[runtime]\ndebug = true\n", "test.toml").Runtime.DebugConsole);
    }

    [Fact]
    public void Debug_console_of_the_wrong_type_is_named()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse(Minimal + "\n[runtime]\ndebug_console = 1\n", "c.toml"));
        Assert.Equal("runtime.debug_console must be true or false, got the integer 1", Assert.Single(error.Problems));
    }

    [Fact]
    public void Syntax_errors_are_reported_as_not_valid_toml()
    {
        var error = Assert.Throws<ConfigurationException>(() => ConfigurationParser.Parse("[hypervisor.katasharp\nkernel = ", "broken.toml"));
        Assert.Contains("broken.toml: not valid TOML", error.Message);
    }

    [Fact]
    public void Missing_asset_files_name_their_keys_and_the_fix()
    {
        using var directory = new TempDirectory();
        string kernel = directory.Combine("vmlinux");
        File.WriteAllText(kernel, "k");
        var configuration = ConfigurationParser.Parse($"""
            [hypervisor.katasharp]
            kernel = "{kernel}"
            initrd = "{directory.Combine("missing-initrd")}"
            """, "c.toml");
        var problem = Assert.Single(ConfigurationAssets.FindProblems(configuration));
        Assert.StartsWith($"hypervisor.katasharp.initrd = \"{directory.Combine("missing-initrd")}\": no such file;", problem);
        Assert.Contains("katasharp install", problem);
    }

    [Fact]
    public void Search_order_prefers_the_explicit_path_then_the_environment()
    {
        using var directory = new TempDirectory();
        string fromEnvironment = directory.Combine("env.toml");
        File.WriteAllText(fromEnvironment, Minimal);
        string previous = Environment.GetEnvironmentVariable(ConfigurationLoader.EnvironmentVariable) ?? "";
        try
        {
            Environment.SetEnvironmentVariable(ConfigurationLoader.EnvironmentVariable, fromEnvironment);
            Assert.Equal(fromEnvironment, ConfigurationLoader.Load().SourcePath);
            Assert.Equal(("/explicit.toml", "containerd runtime option ConfigPath"), ConfigurationLoader.Locate("/explicit.toml"));
            var missing = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(directory.Combine("nope.toml")));
            Assert.Contains("does not exist", missing.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConfigurationLoader.EnvironmentVariable, previous.Length == 0 ? null : previous);
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new DirectoryNotFoundException("repository root (Directory.Build.props) not found above the test binaries");
    }
}

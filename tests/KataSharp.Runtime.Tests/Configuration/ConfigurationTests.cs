using KataSharp.Runtime.Configuration;
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
                     "dial_timeout_seconds", "ready_timeout_seconds", "layer_cache_dir", "debug", "io_drain_timeout_seconds" })
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

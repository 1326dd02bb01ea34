using KataSharp.Cli.Commands;
using KataSharp.Runtime.Configuration;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

public class ContainerdRegistrationTests
{
    [Fact]
    public void An_empty_config_gets_version_2_and_the_handler()
    {
        string result = ContainerdRegistration.Register("");
        Assert.StartsWith("version = 2\n", result);
        Assert.Contains("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.katasharp]", result);
        Assert.Contains("runtime_type = \"io.containerd.katasharp.v2\"", result);
        Assert.True(ContainerdRegistration.IsRegistered(result));
    }

    [Fact]
    public void An_existing_config_is_appended_to_once()
    {
        const string existing = """
            version = 2
            root = "/var/lib/containerd"
            [plugins."io.containerd.grpc.v1.cri".containerd]
              default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
            """;
        string once = ContainerdRegistration.Register(existing);
        Assert.StartsWith(existing, once);
        Assert.True(ContainerdRegistration.IsRegistered(once));
        Assert.Equal(once, ContainerdRegistration.Register(once));
        var runtimes = (Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)TomlText.Parse(once)["plugins"])["io.containerd.grpc.v1.cri"])["containerd"])["runtimes"];
        Assert.Equal(["katasharp", "runc"], runtimes.Keys.Order());
    }

    /// <summary>
    /// containerd drops its built-in runc runtime once any runtime is configured; the CRI plugin then
    /// refuses to load (default_runtime_name = "runc" has no runtime), so registration keeps runc.
    /// </summary>
    [Fact]
    public void A_config_without_runc_keeps_the_cri_default_runtime()
    {
        string result = ContainerdRegistration.Register("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"pause\"\n");
        var runtimes = (Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)((Tomlyn.Model.TomlTable)TomlText.Parse(result)["plugins"])["io.containerd.grpc.v1.cri"])["containerd"])["runtimes"];
        Assert.Equal(["katasharp", "runc"], runtimes.Keys.Order());
        Assert.Equal("io.containerd.runc.v2", ((Tomlyn.Model.TomlTable)runtimes["runc"])["runtime_type"]);
        Assert.Equal(result, ContainerdRegistration.Register(result));
        Assert.Contains("containerd.runtimes.runc]", ContainerdRegistration.Register(""));
    }

    [Fact]
    public void A_containerd_2_config_gets_the_handler_under_the_cri_runtime_plugin()
    {
        const string existing = "version = 3\n[plugins.\"io.containerd.cri.v1.runtime\".containerd]\n  default_runtime_name = \"runc\"\n";
        string result = ContainerdRegistration.Register(existing);
        Assert.Contains("[plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.katasharp]", result);
        Assert.DoesNotContain("io.containerd.grpc.v1.cri", result);
        Assert.True(ContainerdRegistration.IsRegistered(result));
        Assert.Equal(result, ContainerdRegistration.Register(result));

        string fresh = ContainerdRegistration.Register("", versionForEmptyFile: 3);
        Assert.StartsWith("version = 3\n", fresh);
        Assert.True(ContainerdRegistration.IsRegistered(fresh));
    }

    [Theory]
    [InlineData("containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1\n", 2)]
    [InlineData("containerd containerd.io 1.7.27 05044ec0a9a75232cad458027ca83437aae3f4da\n", 2)]
    [InlineData("containerd github.com/containerd/containerd/v2 v2.0.2 c507a0257ea6462fbd6f5ba4f5c74facb04021f4\n", 3)]
    [InlineData("", 2)]
    public void The_installed_containerds_release_picks_the_config_format(string versionOutput, int configVersion) =>
        Assert.Equal(configVersion, ContainerdVersion.ConfigVersionFor(versionOutput));

    [Fact]
    public void Another_configured_default_runtime_gets_no_runc()
    {
        const string existing = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"crun\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n  runtime_type = \"io.containerd.runc.v2\"\n";
        Assert.DoesNotContain("runtimes.runc", ContainerdRegistration.Register(existing));
    }

    [Fact]
    public void A_version_1_config_uses_the_short_plugin_name()
    {
        string result = ContainerdRegistration.Register("[plugins.cri]\n  sandbox_image = \"pause\"\n");
        Assert.Contains("[plugins.cri.containerd.runtimes.katasharp]", result);
        Assert.True(ContainerdRegistration.IsRegistered(result));
    }

    [Fact]
    public void Someone_elses_katasharp_handler_is_left_alone()
    {
        const string existing = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.katasharp]\n  runtime_type = \"io.containerd.katasharp.v2\"\n  runtime_path = \"/opt/ks/shim\"\n";
        Assert.Equal(existing, ContainerdRegistration.Register(existing));
    }

    [Fact]
    public void Invalid_toml_is_refused_rather_than_appended_to()
    {
        Assert.Throws<InvalidDataException>(() => ContainerdRegistration.Register("version = = 2"));
    }

    [Fact]
    public void Install_is_idempotent_and_never_overwrites_the_admins_configuration()
    {
        using var root = new TempDirectory("ks-install");
        string kernel = root.Combine("vmlinux-src"), initrd = root.Combine("initrd-src");
        File.WriteAllText(kernel, "kernel bytes");
        File.WriteAllText(initrd, "initrd bytes");
        var options = new InstallCommand.Options(root.Path, kernel, initrd, RegisterWithContainerd: true, ContainerdRegistration.DefaultConfigPath);

        var first = new StringWriter();
        Assert.Equal(0, InstallCommand.Run(options, first));
        string etc = root.Combine("etc/katasharp/configuration.toml");
        Assert.Equal("kernel bytes", File.ReadAllText(root.Combine("usr/share/katasharp/vmlinux")));
        Assert.Equal(File.ReadAllText(Path.Combine(KataSharp.Runtime.Tests.Configuration.ConfigurationTests.RepositoryRoot(), "configuration.toml")), File.ReadAllText(etc));
        Assert.True(ContainerdRegistration.IsRegistered(File.ReadAllText(root.Combine("etc/containerd/config.toml"))));

        File.AppendAllText(etc, "# admin edit\n");
        var second = new StringWriter();
        Assert.Equal(0, InstallCommand.Run(options, second));
        Assert.DoesNotContain("wrote", second.ToString());
        Assert.Contains($"keep    {etc}", second.ToString());
        Assert.EndsWith("# admin edit\n", File.ReadAllText(etc));
    }
}

using System.CommandLine;
using System.CommandLine.Help;
using KataSharp.Linux;
using KataSharp.Vmm.Boot;
using KataSharp.Vmm.Cli;
using KataSharp.Vmm.Machine;
using KataSharp.Vmm.DeviceManager;
using Xunit;

namespace KataSharp.Vmm.Tests.Cli;

/// <summary>
/// katasharp-vmm's command line on System.CommandLine: the options and defaults of the hand-written
/// parser, its error words (the integration tests' VmmCliTests read them from the real binary), --help, --version.
/// </summary>
public sealed class VmmCommandLineTests
{
    [Fact]
    public void Defaults_are_those_of_the_machine_builder()
    {
        CliOptions options = CliOptions.Parse(["--kernel", "/k"]);
        Assert.Equal(new CliOptions("/k", null, KernelCmdline.Default, 1, MachineBuilder.DefaultMemoryMiB, null) { Devices = options.Devices }, options);
        Assert.Empty(options.Devices.Specs());
        Assert.Null(options.Devices.ControlSocket);
    }

    [Fact]
    public void Every_option_is_read()
    {
        CliOptions options = CliOptions.Parse([
            "--kernel", "/k", "--initrd", "/i", "--cmdline", "console=ttyS0 quiet", "--vcpus", "2", "--memory", "2G", "--console", "/c",
            "--disk", "/a.img,ro,serial=s0", "--disk", "empty,name=spare", "--vsock-socket", "/v.sock", "--cid", "7", "--rng", "--control", "/ctl",
        ]);
        Assert.Equal(("/k", "/i", "console=ttyS0 quiet", 2, 2048, "/c"),
            (options.Kernel, options.Initrd, options.Cmdline, options.Vcpus, options.MemoryMiB, options.ConsoleFile));
        Assert.Equal("/ctl", options.Devices.ControlSocket);
        var specs = options.Devices.Specs();
        Assert.Equal(new BlockDeviceSpec("blk0", "/a.img", true, "s0"), specs[0]);
        Assert.Equal(new BlockDeviceSpec("spare", null, false, "spare"), specs[1]);
        Assert.Equal(new VsockDeviceSpec(7, "/v.sock"), specs[2]);
        Assert.IsType<RngDeviceSpec>(specs[3]);
    }

    [Theory]
    [InlineData("--kernel needs a value", "--kernel")]
    [InlineData("--kernel is required", "--vcpus", "2")]
    [InlineData("unknown argument '--cpus'", "--kernel", "/k", "--cpus", "2")]
    [InlineData("--vcpus takes a whole number, not 'many'", "--kernel", "/k", "--vcpus", "many")]
    [InlineData("--memory takes a whole number, not '2x'", "--kernel", "/k", "--memory", "2x")]
    [InlineData("--cid takes a whole number, not 'x'", "--kernel", "/k", "--vsock-socket", "/v", "--cid", "x")]
    [InlineData("--cid needs --vsock-socket", "--kernel", "/k", "--cid", "3")]
    [InlineData("--net 'mtu=1500' needs exactly one of tap=NAME and fd=N", "--kernel", "/k", "--net", "mtu=1500")]
    [InlineData("two disks are named 'blk0'", "--kernel", "/k", "--disk", "/a", "--disk", "/b,name=blk0")]
    [InlineData("unknown flag 'rw'", "--kernel", "/k", "--disk", "/a,rw")]
    public void Mistakes_are_named_as_before(string expected, params string[] args)
    {
        var error = Assert.Throws<CliUsageException>(() => CliOptions.Parse(args));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Help_lists_every_option_and_the_exit_statuses()
    {
        var commandLine = new VmmCommandLine();
        ParseResult parsed = commandLine.Parse(["--help"]);
        Assert.IsType<HelpAction>(parsed.Action);
        var output = new StringWriter();
        Assert.Equal(0, parsed.Invoke(new InvocationConfiguration { Output = output }));
        foreach (string option in new[] { "--kernel", "--initrd", "--cmdline", "--vcpus", "--memory", "--console", "--disk", "--vsock-socket", "--cid", "--rng", "--net", "--control", "--version" })
        {
            Assert.Contains(option, output.ToString());
        }
        Assert.Contains("64 bad arguments", output.ToString());
    }

    [Fact]
    public void Version_prints_the_build_line()
    {
        var output = new StringWriter();
        Assert.Equal(0, new VmmCommandLine().Parse(["--version"]).Invoke(new InvocationConfiguration { Output = output }));
        Assert.Equal(BuildVersion.Current.Line("katasharp-vmm") + "\n", output.ToString());
    }

    [Fact]
    public void A_path_starting_with_an_at_sign_is_a_path()
    {
        Assert.Equal("@kernel", CliOptions.Parse(["--kernel", "@kernel"]).Kernel);
    }
}

using System.Text.Json;
using KataSharp.Cli.CommandLine;
using KataSharp.Cli.Commands;
using KataSharp.Cli.Reports;
using KataSharp.Runtime.Rootfs;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Cli;

/// <summary>katasharp's command line (System.CommandLine): help per command, exit statuses, --version, --json.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("check", "--json")]
    [InlineData("env", "--json")]
    [InlineData("install", "--kernel")]
    [InlineData("install", "--no-containerd")]
    [InlineData("gc", "--max-mib")]
    [InlineData("gc", "--dry-run")]
    [InlineData("runtimeclass", "--help")]
    [InlineData("version", "--help")]
    public void Every_command_has_its_own_help_and_it_exits_0(string command, string option)
    {
        var (code, output, error) = Run(command, "--help");
        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Contains($" {command} [options]", output);
        Assert.Contains(option, output);
    }

    [Fact]
    public void Help_as_a_command_prints_the_same_as_the_option()
    {
        Assert.Equal(Run("install", "--help"), Run("help", "install"));
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (string command in new[] { "check", "env", "install", "gc", "runtimeclass", "version" })
        {
            Assert.Contains($"  {command} ", output);
        }
    }

    [Fact]
    public void Version_option_prints_what_the_version_command_prints()
    {
        var expected = new StringWriter();
        VersionCommand.Run(expected);
        Assert.Equal((0, expected.ToString(), ""), Run("--version"));
        Assert.Equal((0, expected.ToString(), ""), Run("version"));
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "install", "--bogus")]
    [InlineData("(known: --kernel, --initrd, --root, --containerd-config, --no-containerd", "install", "--bogus")]
    [InlineData("unknown option '--jsn'", "check", "--jsn")]
    [InlineData("unknown command 'frobnicate' (known: check, env, install, gc", "frobnicate")]
    [InlineData("katasharp install: Required argument missing for option: '--kernel'", "install", "--kernel")]
    [InlineData("--max-mib takes 0 (no cap) or a positive number of MiB", "gc", "--max-mib", "-5")]
    [InlineData("no command 'nope'", "help", "nope")]
    public void A_wrong_command_line_exits_2_naming_the_problem(string expected, params string[] args)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Empty(output);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void No_command_is_a_usage_error_with_the_command_list()
    {
        var (code, _, error) = Run();
        Assert.Equal(2, code);
        Assert.Contains("install", error);
    }

    [Fact]
    public void Install_options_reach_the_installer()
    {
        using var root = new TempDirectory();
        string kernel = root.Combine("vmlinux-src");
        File.WriteAllText(kernel, "kernel");

        var (code, output, error) = Run("install", "--root", root.Path, "--kernel", kernel, "--containerd-config", "/etc/ctrd.toml");

        Assert.True(code == 0, error);
        Assert.Equal("kernel", File.ReadAllText(root.Combine("usr", "share", "katasharp", "vmlinux")));
        Assert.Contains("katasharp", File.ReadAllText(root.Combine("etc", "ctrd.toml")));
        Assert.True(File.Exists(root.Combine("etc", "katasharp", "configuration.toml")));
        Assert.Contains("missing", output); // no --initrd: says what to pass

        using var other = new TempDirectory();
        Assert.Equal(0, Run("install", "--root", other.Path, "--no-containerd").Code);
        Assert.False(File.Exists(other.Combine("etc", "containerd", "config.toml")));
    }

    [Fact]
    public void An_argument_starting_with_an_at_sign_is_a_path_not_a_response_file()
    {
        using var root = new TempDirectory();
        var (code, _, error) = Run("install", "--root", root.Path, "--no-containerd", "--kernel", "@vmlinux");
        Assert.Equal(1, code);
        Assert.Contains("--kernel @vmlinux: no such file", error);
    }

    [Fact]
    public void Install_failures_exit_1_naming_the_file()
    {
        using var root = new TempDirectory();
        var (code, _, error) = Run("install", "--root", root.Path, "--no-containerd", "--kernel", "/nonexistent/vmlinux");
        Assert.Equal(1, code);
        Assert.Contains("--kernel /nonexistent/vmlinux: no such file", error);
    }

    [Fact]
    public void Check_json_has_the_verdict_and_every_check()
    {
        var (code, output, _) = Run("check", "--json");
        using var json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        bool ok = root.GetProperty("ok").GetBoolean();
        Assert.Equal(ok ? 0 : 1, code);
        Assert.Equal(ok, root.GetProperty("failures").GetInt32() == 0);
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(["kvm", "virtualization", "configuration"], checks.Take(3).Select(c => c.GetProperty("name").GetString()));
        Assert.Contains(checks, c => c.GetProperty("name").GetString() == "containerd");
        Assert.All(checks, c =>
        {
            Assert.Contains(c.GetProperty("status").GetString(), new[] { "ok", "fail", "warn" });
            Assert.False(string.IsNullOrEmpty(c.GetProperty("detail").GetString()));
        });
        Assert.Equal(root.GetProperty("failures").GetInt32(), checks.Count(c => c.GetProperty("status").GetString() == "fail"));
    }

    [Fact]
    public void Check_text_and_json_say_the_same()
    {
        var report = new CheckReport(false, 1, [new CheckItem("kvm", CheckItem.Failed, "no /dev/kvm"), new CheckItem("shim", CheckItem.Warning, "not \"installed\"")]);
        var text = new StringWriter();
        Assert.Equal(1, CheckCommand.Write(report, text, json: false));
        Assert.Equal("FAIL kvm: no /dev/kvm\nwarn shim: not \"installed\"\n1 problem(s): katasharp cannot run pods here yet\n", text.ToString());
        var json = new StringWriter();
        CheckCommand.Write(report, json, json: true);
        Assert.Equal("not \"installed\"", JsonDocument.Parse(json.ToString()).RootElement.GetProperty("checks")[1].GetProperty("detail").GetString());
    }

    [Fact]
    public void Env_json_uses_the_configuration_keys()
    {
        var report = new EnvReport(new EnvConfigSource("/etc/katasharp/configuration.toml", "system"), "/run/katasharp", null, null,
            new EnvHypervisor("/k", false, "/i", true, 1, 256, "", 60, 8, 8, 8192),
            new EnvAgent(5, 30, 60, 10, 60),
            new EnvRuntime("/var/lib/katasharp/layers", 2048, false, 5, true, 16, 1024, 1000, "warn", 512));
        var output = new StringWriter();
        Assert.Equal(0, EnvCommand.Write(report, output, json: true));

        using var json = JsonDocument.Parse(output.ToString());
        JsonElement root = json.RootElement;
        Assert.Equal("/etc/katasharp/configuration.toml", root.GetProperty("config").GetProperty("path").GetString());
        Assert.Equal("/run/katasharp", root.GetProperty("state_dir").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("shim_path").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").ValueKind);
        Assert.Equal(256, root.GetProperty("hypervisor").GetProperty("memory_mib").GetInt32());
        Assert.False(root.GetProperty("hypervisor").GetProperty("kernel_exists").GetBoolean());
        Assert.Equal(60, root.GetProperty("agent").GetProperty("keepalive_timeout_seconds").GetInt32());
        Assert.Equal(2048, root.GetProperty("runtime").GetProperty("layer_cache_max_mib").GetInt32());
        Assert.True(root.GetProperty("runtime").GetProperty("sandbox_cgroup").GetBoolean());
        Assert.Equal("warn", root.GetProperty("runtime").GetProperty("log_level").GetString());
        Assert.Equal(512, root.GetProperty("runtime").GetProperty("console_log_max_kib").GetInt32());

        var text = new StringWriter();
        EnvCommand.Write(report, text, json: false);
        Assert.Contains("kernel = \"/k\"  # missing\n", text.ToString());
        Assert.Contains("layer_cache_max_mib = 2048\n", text.ToString());
        Assert.Contains("log_level = \"warn\"\n", text.ToString());
        Assert.Contains("console_log_max_kib = 512\n", text.ToString());
    }

    [Fact]
    public void Env_json_on_this_host_parses_with_or_without_a_configuration()
    {
        var (code, output, _) = Run("env", "--json");
        using var json = JsonDocument.Parse(output);
        JsonElement root = json.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("config").GetProperty("reason").GetString()));
        bool loaded = root.GetProperty("error").ValueKind == JsonValueKind.Null;
        Assert.Equal(loaded ? 0 : 1, code);
        Assert.Equal(loaded ? JsonValueKind.Object : JsonValueKind.Null, root.GetProperty("runtime").ValueKind);
    }

    [Fact]
    public void Gc_prints_each_removal_and_the_bytes_freed()
    {
        var collection = new LayerCacheCollection("/var/lib/katasharp/layers", false, 2 * 1024 * 1024,
            [
                new LayerCacheRemoval("/c/a.erofs.tmp-7", 10, LayerCacheRemovalReason.Leftover, "unfinished build, its builder is gone"),
                new LayerCacheRemoval("/c/b.erofs", 3 * 1024 * 1024, LayerCacheRemovalReason.LeastRecentlyUsed, "last used 2026-11-30 10:00:00 UTC"),
            ],
            ["/c/d.erofs"], [], 1, 1024 * 1024);
        var output = new StringWriter();
        GcCommand.Print(collection, output);
        Assert.Equal("""
            removed /c/a.erofs.tmp-7 (10 bytes, 0.0 MiB): leftover, unfinished build, its builder is gone
            removed /c/b.erofs (3145728 bytes, 3.0 MiB): least recently used, last used 2026-11-30 10:00:00 UTC
            kept    /c/d.erofs: attached to a running sandbox
            freed 3145738 bytes, 3.0 MiB; /var/lib/katasharp/layers keeps 1 image(s), 1048576 bytes, 1.0 MiB (cap 2 MiB)

            """, output.ToString());
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = KatasharpCommandLine.Invoke(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}

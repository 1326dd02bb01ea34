using System.Diagnostics;
using KataSharp.Runtime.Tests.Configuration;
using KataSharp.Runtime.Tests.Fakes;
using Xunit;

namespace KataSharp.Runtime.Tests.Shim;

/// <summary>
/// Real containerd 1.6 and ctr on this host, with its own root, state and socket: `ctr run
/// --runtime io.containerd.katasharp.v2` goes through the real start → Create → Shutdown →
/// delete path. Without a guest kernel the run must fail naming the config key and leave nothing.
/// (Running containers needs a hardware-backed KVM: see the nested test host's integration tests.)
/// </summary>
public sealed class ContainerdHostTests : IAsyncLifetime
{
    // First: it throws when the shim is not published, before the directories below exist (xunit disposes nothing then).
    private readonly string _shimPath = new ShimBinary().Path;
    private readonly TempDirectory _directory = new("ks-ctd");
    private readonly string _run = "/run/ks-ctd-" + Guid.NewGuid().ToString("N")[..8];
    private Process? _containerd;

    private string Address => Path.Combine(_run, "containerd.sock");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_run);
        File.WriteAllText(_directory.Combine("config.toml"), $"""
            version = 2
            root = "{_directory.Combine("root")}"
            state = "{Path.Combine(_run, "state")}"
            [grpc]
              address = "{Address}"
            [ttrpc]
              address = "{Address}.ttrpc"
            """);
        File.WriteAllText(_directory.Combine("katasharp.toml"), """
            [hypervisor.katasharp]
            kernel = "/nonexistent/katasharp/vmlinux"
            initrd = "/nonexistent/katasharp/initrd.img"
            """);
        var start = new ProcessStartInfo("containerd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(_directory.Combine("config.toml"));
        // The shim inherits containerd's environment: where to find it, its config, its state.
        start.Environment["PATH"] = Path.GetDirectoryName(_shimPath) + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["KATASHARP_CONFIG"] = _directory.Combine("katasharp.toml");
        start.Environment["KATASHARP_STATE_DIR"] = _directory.Combine("ks-state");
        _containerd = Process.Start(start)!;
        _containerd.ErrorDataReceived += (_, _) => { };
        _containerd.BeginErrorReadLine();
        _containerd.BeginOutputReadLine();
        await Eventually.TrueAsync(() => File.Exists(Address) || _containerd.HasExited, "containerd serves its socket", TimeSpan.FromSeconds(30));
        Assert.False(_containerd.HasExited, "containerd exited at start-up");
        string image = await BusyboxImage.BuildAsync(_directory.Combine("image"));
        var (code, _, stderr) = await Ctr("image", "import", "--base-name", "docker.io/library/busybox", image);
        Assert.True(code == 0, stderr);
    }

    [Fact]
    public async Task Ctr_run_without_a_guest_kernel_fails_naming_the_key_and_leaves_nothing()
    {
        string id = "ks-" + Guid.NewGuid().ToString("N")[..8];
        var (code, stdout, stderr) = await Ctr("run", "--rm", "--runtime", "io.containerd.katasharp.v2", "docker.io/library/busybox:latest", id, "uname", "-r");
        Assert.NotEqual(0, code);
        Assert.Contains("hypervisor.katasharp.kernel = \"/nonexistent/katasharp/vmlinux\": no such file", stdout + stderr);

        Assert.DoesNotContain(id, (await Ctr("task", "ls")).Stdout);
        Assert.DoesNotContain(id, (await Ctr("container", "ls")).Stdout);
        string socket = KataSharp.Shim.Verbs.ShimSocketAddress.PathFor(Address, "default", id);
        await Eventually.TrueAsync(() => !File.Exists(socket), "the shim's socket is gone");
        await Eventually.TrueAsync(() => !ShimProcessesRunning(id), "no shim process is left for the task");
        Assert.False(Directory.Exists(Path.Combine(_run, "state", "io.containerd.runtime.v2.task", "default", id)), "the bundle is gone");
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> Ctr(params string[] args) =>
        CommandRunner.RunAsync("ctr", new[] { "--address", Address }.Concat(args));

    private static bool ShimProcessesRunning(string id) =>
        Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ');
                return cmdline.Contains("containerd-shim-katasharp-v2") && cmdline.Contains($"-id {id}");
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });

    public async Task DisposeAsync()
    {
        if (_containerd is { HasExited: false })
        {
            _containerd.Kill();
            await _containerd.WaitForExitAsync();
        }
        _containerd?.Dispose();
        foreach (string mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_directory.Path) || m.StartsWith(_run)).Reverse())
        {
            await CommandRunner.RunAsync("umount", ["-l", mount]);
        }
        Directory.Delete(_run, recursive: true);
        _directory.Dispose();
    }
}

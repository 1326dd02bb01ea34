using System.Diagnostics;
using Xunit;

namespace KataSharp.Integration.Tests.Vmm;

/// <summary>katasharp-vmm's answers to bad input, on this machine (no VM is created, so no test host is needed).
/// "KERNEL" in the arguments stands for the real guest kernel, so only the named problem is wrong.</summary>
public sealed class VmmCliTests
{
    [Theory]
    [InlineData("kernel '/nonexistent/vmlinux' does not exist", "--kernel", "/nonexistent/vmlinux")]
    [InlineData("is not a Linux kernel", "--kernel", "/etc/hostname")]
    [InlineData("--memory: 16 MiB of guest memory is too little", "--kernel", "KERNEL", "--memory", "16")]
    [InlineData("--vcpus: 0 vCPUs is out of range", "--kernel", "KERNEL", "--vcpus", "0")]
    [InlineData("--vcpus takes a whole number", "--kernel", "KERNEL", "--vcpus", "many")]
    [InlineData("initrd '/nonexistent/initrd' does not exist", "--kernel", "KERNEL", "--initrd", "/nonexistent/initrd")]
    [InlineData("--kernel needs a value", "--kernel")]
    [InlineData("unknown argument '--cpus'", "--kernel", "KERNEL", "--cpus", "2")]
    [InlineData("--net 'mtu=1500' needs exactly one of tap=NAME and fd=N", "--kernel", "KERNEL", "--net", "mtu=1500")]
    [InlineData("mac= takes six hex bytes like 02:00:00:00:00:01, not 'zz'", "--kernel", "KERNEL", "--net", "tap=t0,mac=zz")]
    [InlineData("fd= takes an inherited descriptor number above 2, not '1'", "--kernel", "KERNEL", "--net", "fd=1")]
    [InlineData("unknown part 'speed=10'", "--kernel", "KERNEL", "--net", "tap=t0,speed=10")]
    [InlineData("two net devices are named 'net0'", "--kernel", "KERNEL", "--net", "tap=t0", "--net", "tap=t1,name=net0")]
    public async Task Bad_input_exits_64_with_a_message_naming_the_problem(string expected, params string[] args)
    {
        string vmm = await VmmArtifacts.KatasharpVmmAsync();
        string kernel = Path.Combine(await VmmArtifacts.KernelAsync(), "vmlinux");
        var start = new ProcessStartInfo(vmm) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a == "KERNEL" ? kernel : a);
        }

        using var p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);

        Assert.Equal(64, p.ExitCode);
        Assert.Contains(expected, await stderr);
    }
}

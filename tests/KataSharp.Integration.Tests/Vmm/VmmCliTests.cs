using System.Diagnostics;
using Xunit;

namespace KataSharp.Integration.Tests.Vmm;

/// <summary>katasharp-vmm's answers to bad input, on this machine (no VM is created, so no test host is needed).</summary>
public sealed class VmmCliTests
{
    [Fact]
    public async Task Bad_input_exits_64_with_a_message_naming_the_problem()
    {
        string vmm = await VmmArtifacts.KatasharpVmmAsync();
        string kernel = Path.Combine(await VmmArtifacts.KernelAsync(), "vmlinux");

        (int code, string stderr) = await RunAsync(vmm, "--kernel", "/nonexistent/vmlinux");
        Assert.Equal(64, code);
        Assert.Contains("kernel '/nonexistent/vmlinux' does not exist", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel", "/etc/hostname");
        Assert.Equal(64, code);
        Assert.Contains("is not a Linux kernel", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel", kernel, "--memory", "16");
        Assert.Equal(64, code);
        Assert.Contains("--memory: 16 MiB of guest memory is too little", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel", kernel, "--vcpus", "0");
        Assert.Equal(64, code);
        Assert.Contains("--vcpus: 0 vCPUs is out of range", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel", kernel, "--vcpus", "many");
        Assert.Equal(64, code);
        Assert.Contains("--vcpus takes a whole number", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel", kernel, "--initrd", "/nonexistent/initrd");
        Assert.Equal(64, code);
        Assert.Contains("initrd '/nonexistent/initrd' does not exist", stderr);

        (code, stderr) = await RunAsync(vmm, "--kernel");
        Assert.Equal(64, code);
        Assert.Contains("--kernel needs a value", stderr);
    }

    private static async Task<(int Code, string Stderr)> RunAsync(string vmm, params string[] args)
    {
        var start = new ProcessStartInfo(vmm) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stderr);
    }
}

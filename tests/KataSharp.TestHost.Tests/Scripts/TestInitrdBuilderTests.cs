using System.Diagnostics;
using KataSharp.TestHost.Build;
using Xunit;

namespace KataSharp.TestHost.Tests.Scripts;

/// <summary>guest-image/test-initrd/build-test-initrd.sh, run for real against a private cache.</summary>
public sealed class TestInitrdBuilderTests : IDisposable
{
    private readonly string cache = Directory.CreateTempSubdirectory("ks-initrd-cache-").FullName;
    private readonly string script = Path.Combine(RepositoryLayout.Discover().Root, "guest-image", "test-initrd", "build-test-initrd.sh");

    [Fact]
    public async Task PacksBusyboxAppletsInitConsoleNodeAndExtraFilesThenReusesTheCache()
    {
        string init = Write("init.sh", "#!/bin/sh\necho hello\n");
        string extra = Write("data.txt", "payload\n");

        var first = await Run("--init", init, "--file", $"{extra}=/etc/katasharp/data.txt");
        Assert.Equal(0, first.Code);
        string archive = first.Stdout.Trim();
        Assert.StartsWith(Path.Combine(cache, "test-initrd"), archive);

        string listing = await Sh($"zcat '{archive}' | cpio -itv --quiet");
        Assert.Matches(@"-rwxr-xr-x .* init\n", listing);
        Assert.Contains("bin/busybox\n", listing);
        Assert.Contains("bin/sh -> /bin/busybox", listing);
        Assert.Contains("sbin/reboot -> /bin/busybox", listing);
        Assert.Matches(@"crw------- .* 5, +1 .* dev/console", listing);
        Assert.Contains("etc/katasharp/data.txt", listing);
        Assert.Equal("payload\n", await Sh($"zcat '{archive}' | cpio -i --quiet --to-stdout etc/katasharp/data.txt"));

        var again = await Run("--init", init, "--file", $"{extra}=/etc/katasharp/data.txt");
        Assert.Equal(archive, again.Stdout.Trim());
        Assert.Contains("cached", again.Stderr);

        File.AppendAllText(extra, "changed\n");
        var changed = await Run("--init", init, "--file", $"{extra}=/etc/katasharp/data.txt");
        Assert.NotEqual(archive, changed.Stdout.Trim());
    }

    [Theory]
    [InlineData("--file", "no-equals-sign", "must look like")]
    [InlineData("--file", "/etc/hostname=relative/path", "must be an absolute path")]
    [InlineData("--file", "/does/not/exist=/x", "does not exist")]
    public async Task BadArgumentsNameTheProblem(string option, string value, string expected)
    {
        string init = Write("init.sh", "#!/bin/sh\n");
        var r = await Run("--init", init, option, value);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(expected, r.Stderr);
    }

    [Fact]
    public async Task AMissingInitIsNamed()
    {
        var r = await Run("--init", Path.Combine(cache, "nope.sh"));
        Assert.NotEqual(0, r.Code);
        Assert.Contains("nope.sh' does not exist", r.Stderr);
    }

    public void Dispose() => Directory.Delete(cache, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(cache, name);
        File.WriteAllText(path, text);
        return path;
    }

    private async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        start.Environment["KATASHARP_CACHE"] = cache;
        using var p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    private static async Task<string> Sh(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { "-c", command }, RedirectStandardOutput = true })!;
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        return output;
    }
}

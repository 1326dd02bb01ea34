using System.Diagnostics;
using KataSharp.Tests.Shared.Architecture;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// SeccompFilter.Load as the VMM will use it: in a NativeAOT process (katasharp-testtool seccomp-load, published to
/// out/bin by scripts/publish.sh; libseccomp.so.2 loaded at run time), with TSYNC, so a thread that existed before the
/// load is confined too. A child process: the filter stays for the life of the process that loads it.
/// </summary>
public sealed class SeccompFilterLoadTests
{
    [Fact]
    public async Task Load_WithThreadSync_ConfinesEveryThreadOfTheProcess()
    {
        string output = Environment.GetEnvironmentVariable("KATASHARP_OUT") is { Length: > 0 } o ? o : Path.Combine(FolderCycleCheck.RepositoryRoot, "out");
        string tool = Path.Combine(output, "bin", "katasharp-testtool");
        Assert.True(File.Exists(tool), $"{tool} is not built: run scripts/publish.sh katasharp-testtool (scripts/test.sh does it first)");
        using var dir = new TempDirectory();
        var start = new ProcessStartInfo(tool, ["seccomp-load", dir.Path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process child = Process.Start(start)!;
        Task<string> stdout = child.StandardOutput.ReadToEndAsync();
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode}: {await stderr}");
        Assert.Equal("main=EACCES other=EACCES", (await stdout).Trim());
        Assert.Empty(Directory.GetDirectories(dir.Path));
        Directory.CreateDirectory(Path.Combine(dir.Path, "unconfined")); // the parent never loaded it
    }
}

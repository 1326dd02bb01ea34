using System.Diagnostics;
using System.Text.RegularExpressions;
using KataSharp.TestHost.Build;
using KataSharp.TestHost.Machine;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Lifecycle;

/// <summary>
/// The promise that matters most: however the process that owns a test host ends, no QEMU is
/// left behind. These run the human script (tests/testhost/run.sh, the same C# code) with a real
/// L1 QEMU and end it the hard way. They wait for the machine-wide lock like any test host.
/// </summary>
public sealed partial class OwnerDeathTests
{
    /// <summary>The lock may be held by another test run: waiting for it is part of starting.</summary>
    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(20);
    /// <summary>Killing the command and shutting L1 down takes seconds; minutes on a machine loaded by parallel builds.</summary>
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task SigkillOfTheOwnerTakesQemuWithIt()
    {
        await using var owner = await Owner.StartAsync("sleep 600");
        int qemu = await owner.QemuPidAsync(StartDeadline);
        Assert.True(Processes.IsAlive(qemu));

        Processes.Signal(owner.Pid, "KILL");

        Assert.True(await Processes.WaitUntilAsync(() => !Processes.IsAlive(qemu), ExitDeadline),
            $"QEMU pid {qemu} survived the SIGKILL of its owner");
        // A SIGKILLed owner cannot remove its run directory: this test leaves the machine as it found it.
        RunDirectory.RemoveRunsOf(RepositoryLayout.Discover().TestHostCache, owner.Pid);
    }

    [Fact]
    public async Task CtrlCKillsTheCommandShutsDownAndExits130()
    {
        await using var owner = await Owner.StartAsync("sleep 600");
        int qemu = await owner.QemuPidAsync(StartDeadline);
        await owner.WaitForLineAsync("ready in", StartDeadline);

        Processes.Signal(owner.Pid, "INT");

        int exitCode = await owner.ExitCodeAsync(ExitDeadline);
        string printed = string.Join('\n', owner.Lines);
        Assert.True(exitCode == 130, $"run.sh exited with {exitCode}, not 130; it printed:\n{printed}");
        Assert.True(owner.Lines.Any(l => l.Contains("interrupted")), printed);
        Assert.True(owner.Lines.Any(l => l.Contains($"stopped QEMU pid {qemu}")), printed);
        Assert.False(Processes.IsAlive(qemu), $"QEMU pid {qemu} survived Ctrl-C");
    }

    [GeneratedRegex(@"started QEMU pid (\d+)")]
    private static partial Regex StartedQemu();

    private sealed class Owner : IAsyncDisposable
    {
        private readonly Process process;
        private readonly List<string> lines = [];
        private readonly Task pump;

        private Owner(Process process)
        {
            this.process = process;
            pump = Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync() is { } line)
                {
                    lock (lines)
                    {
                        lines.Add(line);
                    }
                }
            });
        }

        public int Pid => process.Id;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (lines)
                {
                    return lines.ToArray();
                }
            }
        }

        public static Task<Owner> StartAsync(string command)
        {
            string runSh = Path.Combine(RepositoryLayout.Discover().TestHostScripts, "run.sh");
            // run.sh execs dotnet, so this pid is the owner itself, not a wrapper shell. SIGINT goes back
            // to its default first: a test run started from a background job inherits it ignored, and
            // .NET then leaves Ctrl-C ignored too, as a terminal user's shell never would.
            var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in (string[])["--default-signal=INT", "bash", runSh, "--", command])
            {
                start.ArgumentList.Add(a);
            }
            return Task.FromResult(new Owner(Process.Start(start)!));
        }

        public async Task<int> QemuPidAsync(TimeSpan deadline)
        {
            string line = await WaitForLineAsync("started QEMU pid", deadline);
            return int.Parse(StartedQemu().Match(line).Groups[1].Value);
        }

        public async Task<string> WaitForLineAsync(string text, TimeSpan deadline)
        {
            string? found = null;
            bool seen = await Processes.WaitUntilAsync(() =>
            {
                found = Lines.FirstOrDefault(l => l.Contains(text));
                return found is not null || process.HasExited;
            }, deadline);
            return seen && found is not null ? found
                : throw new TimeoutException($"run.sh did not print '{text}' within {deadline.TotalSeconds:F0}s; it printed:\n{string.Join('\n', Lines)}");
        }

        public async Task<int> ExitCodeAsync(TimeSpan deadline)
        {
            try
            {
                await process.WaitForExitAsync().WaitAsync(deadline);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"run.sh did not exit within {deadline.TotalSeconds:F0}s; it printed:\n{string.Join('\n', Lines)}");
            }
            await pump;
            return process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Globalization;

namespace KataSharp.TestHost.Machine;

/// <summary>
/// A child process (QEMU) started through tests/testhost/guard.sh, which SIGKILLs it when the
/// pipe on its stdin closes. This process holds the only write end, so the child dies when
/// <see cref="Kill"/> is called and also when this process dies in any way, SIGKILL included.
/// </summary>
internal sealed class GuardedProcess : IDisposable
{
    private readonly Process guard;

    private GuardedProcess(Process guard, int childPid)
    {
        this.guard = guard;
        ChildPid = childPid;
        Exited = guard.WaitForExitAsync(CancellationToken.None);
    }

    /// <summary>The guarded command's pid (QEMU's).</summary>
    public int ChildPid { get; }

    /// <summary>Completes when the guarded command has ended (the guard exits right after it).</summary>
    public Task Exited { get; }

    public bool HasExited => guard.HasExited;

    public static async Task<GuardedProcess> StartAsync(string guardScript, string log, IReadOnlyList<string> command, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string a in (string[])[guardScript, log, "--", .. command])
        {
            start.ArgumentList.Add(a);
        }
        var guard = Process.Start(start) ?? throw new TestHostException(TestHostError.StartFailed, "cannot start bash for guard.sh");
        string? first = await guard.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false);
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            guard.StandardInput.Close();
            guard.Kill(entireProcessTree: true);
            guard.Dispose();
            throw new TestHostException(TestHostError.StartFailed, $"guard.sh did not report the pid of {command[0]} (got '{first}')");
        }
        return new GuardedProcess(guard, pid);
    }

    /// <summary>Kills the guarded command now. Safe to call from a ProcessExit handler.</summary>
    public void Kill()
    {
        // Closing the pipe is what the guard reacts to; signalling the pid directly as well is
        // safe while the guard runs (it has not reaped the child, so the pid cannot be reused).
        try
        {
            guard.StandardInput.Close();
        }
        catch (IOException)
        {
        }
        if (!guard.HasExited)
        {
            try
            {
                using var child = Process.GetProcessById(ChildPid);
                child.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }

    public void Dispose()
    {
        Kill();
        guard.Dispose();
    }
}

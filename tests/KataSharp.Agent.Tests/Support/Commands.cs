using System.Diagnostics;

namespace KataSharp.Agent.Tests.Support;

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs host tools (build scripts, busybox) from tests; never used for container processes.</summary>
public static class Commands
{
    public static CommandResult Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in 5 minutes");
        }
        return new CommandResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}

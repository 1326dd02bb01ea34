using System.Diagnostics;

namespace KataSharp.TestHost.Build;

/// <summary>Runs one of the repository's build scripts: its stderr (progress) goes to the log as
/// it comes, its last stdout line is the result (the scripts print their output path).</summary>
internal static class ScriptRunner
{
    public static async Task<string> RunAsync(string script, IReadOnlyList<string> arguments, Action<string> log, CancellationToken ct)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)
            ?? throw new TestHostException(TestHostError.BuildFailed, $"cannot start bash for {script}");
        var stderrTail = new Queue<string>();
        Task pumpErr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                log(line);
                lock (stderrTail)
                {
                    stderrTail.Enqueue(line);
                    if (stderrTail.Count > 40)
                    {
                        stderrTail.Dequeue();
                    }
                }
            }
        }, CancellationToken.None);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await pumpErr.ConfigureAwait(false);
        string output = await stdout.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string tail;
            lock (stderrTail)
            {
                tail = string.Join('\n', stderrTail);
            }
            throw new TestHostException(TestHostError.BuildFailed,
                $"{script} failed with exit code {process.ExitCode}; fix what it says below and run it by hand to check:\n{tail}");
        }
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length > 0 ? lines[^1].Trim()
            : throw new TestHostException(TestHostError.BuildFailed, $"{script} printed no output path");
    }
}

using System.Text;

namespace KataSharp.TestHost;

/// <summary>The outcome of one command run by the test host.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    private const int TailLines = 40;

    /// <summary>The shell command that produced this result (for error messages).</summary>
    public string Command { get; init; } = "";

    /// <summary>Why this is the command's second run (on a fresh L1, after the first one's died of the emulator's
    /// crash after VMRUN: <see cref="TestHostFixture.RunAsync"/>), or null for a first run.</summary>
    public string? RerunBecause { get; init; }

    /// <summary>The machine's console tail captured when the command failed; empty on success.</summary>
    public string ConsoleTailAtExit { get; init; } = "";

    /// <summary>Returns this result when the exit code is 0; otherwise throws
    /// <see cref="TestHostException"/> naming the command, exit code and the tails of its
    /// stdout and stderr (and of the machine's console).</summary>
    public CommandResult EnsureSuccess()
    {
        if (ExitCode == 0)
        {
            return this;
        }
        var message = new StringBuilder()
            .Append($"command exited with code {ExitCode} after {Elapsed.TotalSeconds:F1}s: {Command}")
            .Append(Section("stdout", Stdout))
            .Append(Section("stderr", Stderr));
        if (ConsoleTailAtExit.Length > 0)
        {
            message.Append(Section("console", ConsoleTailAtExit));
        }
        throw new TestHostException(TestHostError.CommandFailed, message.ToString());
    }

    internal static string Section(string name, string text) =>
        $"\n--- {name} (last {TailLines} lines) ---\n{Tail(text, TailLines)}";

    internal static string Tail(string text, int lines)
    {
        string[] all = text.TrimEnd('\n').Split('\n');
        return all.Length <= lines ? string.Join('\n', all) : string.Join('\n', all[^lines..]);
    }
}

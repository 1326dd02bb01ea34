using System.Globalization;
using System.Runtime.InteropServices;
using KataSharp.TestHost;

// Usage: katasharp-testhost [--timeout SECONDS] [--timings] -- <command...>
// One argument after -- is shell text (pipes, $VARS); several are an argv, quoted word by word.
// The command's stdout and stderr are relayed while it runs (each a few times a second; within one look
// stdout first, so a command whose two streams must interleave exactly writes both to stdout).
const int UsageError = 2;
const int Interrupted = 130;

var timeout = TimeSpan.FromHours(1);
bool timings = false;
int i = 0;
for (; i < args.Length && args[i] != "--"; i++)
{
    switch (args[i])
    {
        case "--timeout" when i + 1 < args.Length
            && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds > 0:
            timeout = TimeSpan.FromSeconds(seconds);
            i++;
            break;
        case "--timings":
            timings = true;
            break;
        default:
            return Usage($"unknown option '{args[i]}'");
    }
}
string[] command = i < args.Length ? args[(i + 1)..] : [];
if (command.Length == 0)
{
    return Usage("no command given");
}
string shellCommand = command.Length == 1 ? command[0] : string.Join(' ', command.Select(ShellQuote));

using var cancel = new CancellationTokenSource();
// Ctrl-C / SIGTERM: kill the command and shut the machine down cleanly, then exit 130.
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    cancel.Cancel();
});

try
{
    await using NestedTestHost host = await NestedTestHost.StartAsync(cancel.Token);
    // Live, as the command writes it (a demo's progress, a long test run), not all at its end. Raw bytes, so what
    // the command wrote arrives byte for byte (scripts/test.sh takes a base64 archive from stdout).
    Stream stdout = Console.OpenStandardOutput(); // not disposed: the catch blocks below still write to stderr
    Stream stderr = Console.OpenStandardError();
    CommandResult result = await host.RunAsync(shellCommand, timeout, (stream, bytes) =>
    {
        Stream target = stream == CommandStream.Stdout ? stdout : stderr;
        target.Write(bytes.Span);
        target.Flush();
    }, cancel.Token);
    if (timings)
    {
        Console.Error.WriteLine(FormattableString.Invariant($"[testhost] timing mode={host.Mode} boot-seconds={host.BootTime.TotalSeconds:F2} command-seconds={result.Elapsed.TotalSeconds:F2}"));
    }
    return result.ExitCode;
}
catch (OperationCanceledException e)
{
    Console.Error.WriteLine($"[testhost] interrupted: {e.Message}");
    return Interrupted;
}
catch (TestHostException e)
{
    Console.Error.WriteLine($"[testhost] error ({e.Error}): {e.Message}");
    return 1;
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"[testhost] {problem}\nusage: tests/testhost/run.sh [--timeout SECONDS] [--timings] -- <command...>");
    return UsageError;
}

static string ShellQuote(string word) => "'" + word.Replace("'", "'\\''") + "'";

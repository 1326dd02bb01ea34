using System.Globalization;
using System.Runtime.InteropServices;
using KataSharp.TestHost;

// Usage: katasharp-testhost [--timeout SECONDS] [--timings] -- <command...>
// One argument after -- is shell text (pipes, $VARS); several are an argv, quoted word by word.
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
    CommandResult result = await host.RunAsync(shellCommand, timeout, cancel.Token);
    Console.Out.Write(result.Stdout);
    Console.Error.Write(result.Stderr);
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

using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace KataSharp.TestHost;

/// <summary>
/// One test host for a whole xunit collection (<see cref="TestHostCollection"/>): started
/// before the collection's first test, disposed after its last. Progress (builds, the lock
/// wait, boot) goes to stderr and to xunit's diagnostic messages.
/// If the machine dies (an L1 kernel panic under TCG has been seen), the tests that were using it
/// fail with its console tail, and the next test class to ask for <see cref="Host"/> gets a
/// freshly booted one instead of a cascade of "not ready" failures.
/// </summary>
public sealed class TestHostFixture : IAsyncLifetime
{
    private readonly Action<string> log;
    private readonly Func<Action<string>, TestHostOptions> options;
    private readonly Lock gate = new();
    private NestedTestHost? host;

    public TestHostFixture(IMessageSink diagnostics)
    {
        log = line =>
        {
            Console.Error.WriteLine($"[testhost] {line}");
            diagnostics.OnMessage(new DiagnosticMessage($"[testhost] {line}"));
        };
        options = TestHostOptions.FromEnvironment;
    }

    /// <summary>For the library's own tests: a fixture over given options (their Log is used as is).</summary>
    internal TestHostFixture(TestHostOptions given)
    {
        log = given.Log;
        options = _ => given;
    }

    public NestedTestHost Host
    {
        get
        {
            lock (gate)
            {
                NestedTestHost current = host ?? throw new InvalidOperationException(
                    "the test host fixture is not initialized (InitializeAsync did not complete)");
                if (!current.HasFailed)
                {
                    return current;
                }
                log($"the test host failed (its machine exited; the failing tests carry its console tail): booting a new one for the remaining tests");
                // Blocking here is safe: the test host's awaits all use ConfigureAwait(false).
                host = null;
                current.DisposeAsync().AsTask().GetAwaiter().GetResult();
                host = NestedTestHost.StartAsync(options(log), CancellationToken.None).GetAwaiter().GetResult();
                return host;
            }
        }
    }

    /// <summary>At most this many commands of one test run are run again after the emulator's crash (a kernel stack overflow).</summary>
    public const int MaxEmulatorCrashReruns = 2;

    private int emulatorCrashReruns;

    /// <summary>
    /// Runs <paramref name="shellCommand"/> on the test host (<see cref="NestedTestHost.RunAsync"/>). If L1's own
    /// kernel dies of the emulator's crash (a kernel stack overflow) while it runs (README, "Known limits": an interrupt taken
    /// while the emulated CPU's global interrupt flag is clear, seen under QEMU 7.2 and 10.0 alike, never with the
    /// code under test in its frame), a fresh L1 is booted and the command runs once more, and the result says so
    /// (<see cref="CommandResult.RerunBecause"/>). At most <see cref="MaxEmulatorCrashReruns"/> in a test run;
    /// every other failure, and a crash in the rerun, fails the caller as before.
    /// </summary>
    public async Task<CommandResult> RunAsync(string shellCommand, TimeSpan timeout)
    {
        NestedTestHost first = Host;
        try
        {
            return await first.RunAsync(shellCommand, timeout).ConfigureAwait(false);
        }
        catch (TestHostException e) when (e.Error == TestHostError.KernelFailed && first.KernelFailedOfEmulatorCrash
            && Interlocked.Increment(ref emulatorCrashReruns) <= MaxEmulatorCrashReruns)
        {
            // The line of the message that names the kernel failure (the others are the command and output tails).
            string[] lines = e.Message.Split('\n');
            string failure = (lines.FirstOrDefault(l => l.Contains("kernel failed", StringComparison.Ordinal)) ?? lines[0]).Trim();
            log($"L1's kernel died of the emulator's crash (a kernel stack overflow) while a command ran ({failure}); "
                + $"running it once more on a fresh L1 (rerun {emulatorCrashReruns} of at most {MaxEmulatorCrashReruns} in this test run)");
            CommandResult second = await Host.RunAsync(shellCommand, timeout).ConfigureAwait(false);
            return second with { RerunBecause = $"L1's kernel died of the emulator's crash (a kernel stack overflow) in the first run: {failure}" };
        }
    }

    public async Task InitializeAsync()
    {
        host = await NestedTestHost.StartAsync(options(log), CancellationToken.None).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        NestedTestHost? last;
        lock (gate)
        {
            last = host;
            host = null;
        }
        if (last is not null)
        {
            await last.DisposeAsync().ConfigureAwait(false);
        }
    }
}

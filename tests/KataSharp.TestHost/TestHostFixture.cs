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

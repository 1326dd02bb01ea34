using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace KataSharp.TestHost;

/// <summary>
/// One test host for a whole xunit collection (<see cref="TestHostCollection"/>): started
/// before the collection's first test, disposed after its last. Progress (builds, the lock
/// wait, boot) goes to stderr and to xunit's diagnostic messages.
/// </summary>
public sealed class TestHostFixture : IAsyncLifetime
{
    private readonly IMessageSink? diagnostics;
    private NestedTestHost? host;

    public TestHostFixture(IMessageSink diagnostics)
    {
        this.diagnostics = diagnostics;
    }

    public NestedTestHost Host =>
        host ?? throw new InvalidOperationException("the test host fixture is not initialized (InitializeAsync did not complete)");

    public async Task InitializeAsync()
    {
        host = await NestedTestHost.StartAsync(TestHostOptions.FromEnvironment(Log), CancellationToken.None).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Log(string line)
    {
        Console.Error.WriteLine($"[testhost] {line}");
        diagnostics?.OnMessage(new DiagnosticMessage($"[testhost] {line}"));
    }
}

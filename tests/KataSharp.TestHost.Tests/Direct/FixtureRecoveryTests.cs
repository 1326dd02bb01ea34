using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Direct;

/// <summary>A collection fixture whose machine died hands the next test a new machine.</summary>
public sealed class FixtureRecoveryTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task After_the_machine_dies_the_next_Host_is_a_freshly_booted_one()
    {
        string cache = Directory.CreateTempSubdirectory("ks-direct-").FullName;
        var log = new List<string>();
        var fixture = new TestHostFixture(DirectHost.Options(cache, log));
        await fixture.InitializeAsync();
        try
        {
            NestedTestHost first = fixture.Host;
            Assert.Same(first, fixture.Host);
            Processes.Signal(first.Machine.ProcessId, "KILL");
            Assert.True(await Processes.WaitUntilAsync(() => first.HasFailed, Deadline), "the host did not notice that its machine died");

            NestedTestHost second = fixture.Host;

            Assert.NotSame(first, second);
            Assert.False(second.HasFailed);
            CommandResult r = (await second.RunAsync("echo alive", Deadline)).EnsureSuccess();
            Assert.Equal("alive\n", r.Stdout);
            var refused = await Assert.ThrowsAsync<TestHostException>(() => first.RunAsync("true", Deadline));
            Assert.Equal(TestHostError.NotReady, refused.Error);
            lock (log)
            {
                Assert.Contains(log, line => line.Contains("booting a new one"));
            }
        }
        finally
        {
            await fixture.DisposeAsync();
            Directory.Delete(cache, recursive: true);
        }
    }
}

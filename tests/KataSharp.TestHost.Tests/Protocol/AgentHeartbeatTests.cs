using System.Text;
using KataSharp.TestHost.Protocol;
using KataSharp.TestHost.Tests.Support;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

/// <summary>The heartbeat over in-memory pipes, with a fake agent that answers PING while told to.</summary>
// IAsyncLifetime, not IAsyncDisposable: xunit 2.9 never calls a test class's IAsyncDisposable.DisposeAsync
// (its pipes and fake agent were never stopped that way).
public sealed class AgentHeartbeatTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(600);

    private readonly AgentPipes pipes = new();
    private readonly AgentConnection connection;
    private readonly CancellationTokenSource stop = new();
    private readonly Task fakeAgent;
    private volatile int pongsLeft = int.MaxValue;
    private int pingsSeen;

    public AgentHeartbeatTests()
    {
        connection = pipes.Connection;
        fakeAgent = Task.Run(AnswerPingsAsync);
    }

    [Fact]
    public async Task AnAgentThatAnswersIsNeverReportedStalled()
    {
        var heartbeat = new AgentHeartbeat(connection, Interval, Timeout);
        using var watchFor = new CancellationTokenSource(Timeout * 4);
        Task<HeartbeatStall?> watching = heartbeat.WatchAsync(watchFor.Token);

        Assert.Null(await watching.WaitAsync(Deadline));
        Assert.True(Volatile.Read(ref pingsSeen) >= 4, $"only {pingsSeen} PINGs reached the agent in {Timeout * 4}");
    }

    [Fact]
    public async Task AnAgentThatNeverAnswersIsReportedStalledAfterTheTimeout()
    {
        pongsLeft = 0;
        var heartbeat = new AgentHeartbeat(connection, Interval, Timeout);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        HeartbeatStall? stall = await heartbeat.WatchAsync(stop.Token).WaitAsync(Deadline);

        Assert.NotNull(stall);
        Assert.True(clock.Elapsed >= Timeout, $"reported after {clock.Elapsed}, before the {Timeout} timeout");
        Assert.True(stall.Silence >= Timeout);
        Assert.True(stall.Unanswered >= 2);
        Assert.Null(stall.SinceLastAnswer);
        Assert.Contains("no PONG ever came", stall.Describe());
    }

    [Fact]
    public async Task AnAgentThatStopsAnsweringIsReportedWithTheTimeSinceItsLastAnswer()
    {
        pongsLeft = 3;
        // Longer than the other facts' timeout: PONG 2 must be read before PING 2 is 600 ms old, and
        // on a loaded CI machine (all test projects at once) the reading once came later than that.
        TimeSpan timeout = TimeSpan.FromSeconds(3);
        var heartbeat = new AgentHeartbeat(connection, Interval, timeout);

        HeartbeatStall? stall = await heartbeat.WatchAsync(stop.Token).WaitAsync(Deadline);

        Assert.NotNull(stall);
        Assert.Equal(2, connection.AnsweredPing);
        Assert.NotNull(stall.SinceLastAnswer);
        Assert.True(stall.SinceLastAnswer >= timeout);
        Assert.Contains("the last PONG came", stall.Describe());
    }

    [Fact]
    public async Task ALostChannelIsNotAStall()
    {
        pongsLeft = 0;
        var heartbeat = new AgentHeartbeat(connection, Interval, Timeout);
        Task<HeartbeatStall?> watching = heartbeat.WatchAsync(stop.Token);

        pipes.AgentCloses(); // the machine exited: its own report says so

        Assert.Null(await watching.WaitAsync(Deadline));
    }

    [Fact]
    public void TheTimeoutCannotBeShorterThanTheInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentHeartbeat(connection, Timeout, Interval));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        stop.Cancel();
        pipes.AgentCloses();
        pipes.HostSideCloses();
        await fakeAgent.WaitAsync(Deadline);
        pipes.Dispose();
        stop.Dispose();
    }

    private async Task AnswerPingsAsync()
    {
        using var reader = new StreamReader(pipes.FromHost, Encoding.ASCII);
        try
        {
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                string[] f = line.Split(' ');
                if (f[0] != "PING")
                {
                    continue;
                }
                Interlocked.Increment(ref pingsSeen);
                if (pongsLeft-- > 0)
                {
                    pipes.AgentSays($"PONG {f[1]}");
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}

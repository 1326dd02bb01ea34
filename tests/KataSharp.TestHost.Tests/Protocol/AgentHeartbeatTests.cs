using System.Text;
using KataSharp.TestHost.Protocol;
using KataSharp.TestHost.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

/// <summary>
/// The heartbeat over in-memory pipes, with a fake agent that answers PING while told to, and a fake clock
/// stepped one beat at a time. With the system clock the facts raced the scheduler (a PONG read after the next
/// PING went out shifted the time since the last answer, and failed CI once; a process paused 600 ms looked
/// like a stall). The system clock's path runs in Direct/HeartbeatTests, with the real agent.
/// </summary>
// IAsyncLifetime, not IAsyncDisposable: xunit 2.9 never calls a test class's IAsyncDisposable.DisposeAsync
// (its pipes and fake agent were never stopped that way).
public sealed class AgentHeartbeatTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(600);
    private static readonly int BeatsPerTimeout = (int)(Timeout / Interval);

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
        var clock = new FakeTimeProvider();
        using var watchFor = new CancellationTokenSource();
        Task<HeartbeatStall?> watching = new AgentHeartbeat(connection, Interval, Timeout, clock).WatchAsync(watchFor.Token);

        int beats = 4 * BeatsPerTimeout;
        for (int sent = 1; sent <= beats; sent++)
        {
            await HeardAsync(watching, sent, answered: int.MaxValue);
            clock.Advance(Interval);
        }
        await HeardAsync(watching, beats + 1, answered: int.MaxValue); // the beat after the last step checked too

        Assert.False(watching.IsCompleted, $"the watch ended after {beats} answered beats: {(watching.IsCompleted ? await watching : null)}");
        watchFor.Cancel();
        Assert.Null(await watching.WaitAsync(Deadline));
    }

    [Fact]
    public async Task AnAgentThatNeverAnswersIsReportedStalledAfterTheTimeout()
    {
        pongsLeft = 0;

        HeartbeatStall stall = await BeatUntilStalledAsync(answered: 0);

        // PING 0 went at 0 ms and is 600 ms old at the 13th beat; PINGs 0..11 wait.
        Assert.Equal(Timeout, stall.Silence);
        Assert.Equal(BeatsPerTimeout, stall.Unanswered);
        Assert.Null(stall.SinceLastAnswer);
        Assert.Contains("no PONG ever came", stall.Describe());
    }

    [Fact]
    public async Task AnAgentThatStopsAnsweringIsReportedWithTheTimeSinceItsLastAnswer()
    {
        pongsLeft = 3;

        HeartbeatStall stall = await BeatUntilStalledAsync(answered: 3);

        // PONG 2 was seen at 150 ms, as PING 3 went; PING 3 is 600 ms old at 750 ms and PINGs 3..14 wait.
        Assert.Equal(2, connection.AnsweredPing);
        Assert.Equal(Timeout, stall.Silence);
        Assert.Equal(BeatsPerTimeout, stall.Unanswered);
        Assert.Equal(Timeout, stall.SinceLastAnswer);
        Assert.Contains("the last PONG came", stall.Describe());
    }

    [Fact]
    public async Task ALostChannelIsNotAStall()
    {
        pongsLeft = 0;
        var clock = new FakeTimeProvider();
        Task<HeartbeatStall?> watching = new AgentHeartbeat(connection, Interval, Timeout, clock).WatchAsync(stop.Token);
        await HeardAsync(watching, sent: 1, answered: 0);

        pipes.AgentCloses(); // the machine exited: its own report says so
        Assert.True(await Processes.WaitUntilAsync(() => connection.IsLost, Deadline), "the connection did not notice the closed channel");
        clock.Advance(Timeout); // PING 0 is as old as a stall's: the loss is seen first

        Assert.Null(await watching.WaitAsync(Deadline));
    }

    [Fact]
    public void TheTimeoutCannotBeShorterThanTheInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentHeartbeat(connection, Timeout, Interval));
    }

    /// <summary>
    /// Steps a fake clock one interval at a time until the heartbeat reports a stall; see <see cref="HeardAsync"/>.
    /// </summary>
    private async Task<HeartbeatStall> BeatUntilStalledAsync(int answered)
    {
        var clock = new FakeTimeProvider();
        Task<HeartbeatStall?> watching = new AgentHeartbeat(connection, Interval, Timeout, clock).WatchAsync(stop.Token);
        for (int sent = 1; !watching.IsCompleted; sent++)
        {
            await HeardAsync(watching, sent, answered);
            Assert.True(sent <= 2 * BeatsPerTimeout + answered, $"no stall reported after {sent} beats");
            clock.Advance(Interval);
        }
        HeartbeatStall? stall = await watching;
        Assert.NotNull(stall);
        return stall;
    }

    /// <summary>
    /// Waits until <paramref name="sent"/> PINGs have reached the fake agent and the PONGs of the first
    /// <paramref name="answered"/> of them have been read back (or the watch ended), so that what the
    /// heartbeat sees at its next beat is fixed, however late the scheduler runs anything.
    /// </summary>
    private async Task HeardAsync(Task watching, int sent, int answered)
    {
        bool heard = await Processes.WaitUntilAsync(
            () => watching.IsCompleted
                || (Volatile.Read(ref pingsSeen) >= sent && connection.AnsweredPing >= Math.Min(sent, answered) - 1),
            Deadline);
        Assert.True(heard, $"PING {sent - 1} (or its PONG) did not arrive within {Deadline}");
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

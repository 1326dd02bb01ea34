using System.IO.Pipes;
using System.Text;
using KataSharp.TestHost.Protocol;
using Xunit;

namespace KataSharp.TestHost.Tests.Protocol;

/// <summary>The heartbeat over in-memory pipes, with a fake agent that answers PING while told to.</summary>
public sealed class AgentHeartbeatTests : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(600);

    private readonly AnonymousPipeServerStream agentOut = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream hostIn;
    private readonly AnonymousPipeServerStream hostOut = new(PipeDirection.Out);
    private readonly AnonymousPipeClientStream agentIn;
    private readonly AgentConnection connection;
    private readonly CancellationTokenSource stop = new();
    private readonly Task fakeAgent;
    private volatile int pongsLeft = int.MaxValue;
    private int pingsSeen;

    public AgentHeartbeatTests()
    {
        hostIn = new AnonymousPipeClientStream(PipeDirection.In, agentOut.ClientSafePipeHandle);
        agentIn = new AnonymousPipeClientStream(PipeDirection.In, hostOut.ClientSafePipeHandle);
        connection = new AgentConnection(hostIn, hostOut, reason => new TestHostException(TestHostError.MachineExited, reason));
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
        var heartbeat = new AgentHeartbeat(connection, Interval, Timeout);

        HeartbeatStall? stall = await heartbeat.WatchAsync(stop.Token).WaitAsync(Deadline);

        Assert.NotNull(stall);
        Assert.Equal(2, connection.AnsweredPing);
        Assert.NotNull(stall.SinceLastAnswer);
        Assert.True(stall.SinceLastAnswer >= Timeout);
        Assert.Contains("the last PONG came", stall.Describe());
    }

    [Fact]
    public async Task ALostChannelIsNotAStall()
    {
        pongsLeft = 0;
        var heartbeat = new AgentHeartbeat(connection, Interval, Timeout);
        Task<HeartbeatStall?> watching = heartbeat.WatchAsync(stop.Token);

        agentOut.Dispose(); // the machine exited: its own report says so

        Assert.Null(await watching.WaitAsync(Deadline));
    }

    [Fact]
    public void TheTimeoutCannotBeShorterThanTheInterval()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AgentHeartbeat(connection, Timeout, Interval));
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        agentOut.Dispose();
        hostOut.Dispose();
        await fakeAgent.WaitAsync(Deadline);
        hostIn.Dispose();
        agentIn.Dispose();
        stop.Dispose();
    }

    private async Task AnswerPingsAsync()
    {
        using var reader = new StreamReader(agentIn, Encoding.ASCII);
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
                    agentOut.Write(Encoding.ASCII.GetBytes($"PONG {f[1]}\n"));
                    agentOut.Flush();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }
}

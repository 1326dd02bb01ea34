using System.Diagnostics;

namespace KataSharp.TestHost.Protocol;

/// <summary>
/// Proves, every <c>interval</c>, that the machine still runs: it sends PING n over the control
/// channel and the agent's read loop answers PONG n. When the oldest unanswered PING is older than
/// <c>timeout</c>, the machine has stalled (seen: the whole L1 idle under TCG, nothing on its
/// console), and <see cref="WatchAsync"/> returns how long it has been silent. Measuring from the
/// oldest unanswered PING, not from the last line heard, keeps a paused or busy host process from
/// counting its own pause against the machine.
/// </summary>
internal sealed class AgentHeartbeat
{
    private readonly AgentConnection agent;
    private readonly TimeSpan interval;
    private readonly TimeSpan timeout;

    public AgentHeartbeat(AgentConnection agent, TimeSpan interval, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, interval);
        this.agent = agent;
        this.interval = interval;
        this.timeout = timeout;
    }

    /// <summary>
    /// Runs until the machine stalls (returns the stall), the channel is lost or <paramref name="ct"/>
    /// is cancelled (returns null: someone else reports those).
    /// </summary>
    public async Task<HeartbeatStall?> WatchAsync(CancellationToken ct)
    {
        // At most timeout / interval + 1 entries: the oldest is either answered or reported.
        var unanswered = new Queue<(long Sequence, Stopwatch Age)>();
        long next = 0;
        var sinceLastAnswer = Stopwatch.StartNew();
        long lastAnswered = -1;
        try
        {
            while (!agent.IsLost)
            {
                long answered = agent.AnsweredPing;
                if (answered != lastAnswered)
                {
                    lastAnswered = answered;
                    sinceLastAnswer.Restart();
                }
                while (unanswered.Count > 0 && unanswered.Peek().Sequence <= answered)
                {
                    unanswered.Dequeue();
                }
                if (unanswered.Count > 0 && unanswered.Peek().Age.Elapsed >= timeout)
                {
                    return new HeartbeatStall(unanswered.Peek().Age.Elapsed, unanswered.Count, lastAnswered < 0 ? null : sinceLastAnswer.Elapsed);
                }
                using (var sendLimit = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    // A channel that takes no bytes at all is stalled as well; the machine is killed then,
                    // so a line cut short by this cancellation is never read.
                    sendLimit.CancelAfter(timeout);
                    try
                    {
                        await agent.SendAsync(HostMessage.Ping(next), sendLimit.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        return new HeartbeatStall(timeout, unanswered.Count + 1, lastAnswered < 0 ? null : sinceLastAnswer.Elapsed);
                    }
                }
                unanswered.Enqueue((next++, Stopwatch.StartNew()));
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (TestHostException)
        {
            // The channel was lost while sending: the machine's exit or the read loop reports that.
        }
        return null;
    }
}

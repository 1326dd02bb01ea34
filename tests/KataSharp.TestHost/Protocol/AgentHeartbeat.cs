namespace KataSharp.TestHost.Protocol;

/// <summary>
/// Proves, every <c>interval</c>, that the machine still runs: it sends PING n over the control
/// channel and the agent's read loop answers PONG n. When the oldest unanswered PING is older than
/// <c>timeout</c>, the machine has stalled (seen: the whole L1 idle under TCG, nothing on its
/// console), and <see cref="WatchAsync"/> returns how long it has been silent. Measuring from the
/// oldest unanswered PING, not from the last line heard, keeps a paused or busy host process from
/// counting its own pause against the machine. All times come from one <see cref="TimeProvider"/>
/// (the system's; the facts step a fake one, so what they assert does not hang on the scheduler).
/// </summary>
internal sealed class AgentHeartbeat
{
    private readonly AgentConnection agent;
    private readonly TimeSpan interval;
    private readonly TimeSpan timeout;
    private readonly TimeProvider time;

    public AgentHeartbeat(AgentConnection agent, TimeSpan interval, TimeSpan timeout, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, interval);
        this.agent = agent;
        this.interval = interval;
        this.timeout = timeout;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Runs until the machine stalls (returns the stall), the channel is lost or <paramref name="ct"/>
    /// is cancelled (returns null: someone else reports those).
    /// </summary>
    public async Task<HeartbeatStall?> WatchAsync(CancellationToken ct)
    {
        // At most timeout / interval + 1 entries: the oldest is either answered or reported.
        var unanswered = new Queue<(long Sequence, long SentAt)>();
        long next = 0;
        long lastAnswerSeenAt = time.GetTimestamp();
        long lastAnswered = -1;
        try
        {
            while (!agent.IsLost)
            {
                // Beats are timed from each one's start, so a slow send does not stretch the cadence.
                Task nextBeat = Task.Delay(interval, time, ct);
                long answered = agent.AnsweredPing;
                if (answered != lastAnswered)
                {
                    lastAnswered = answered;
                    lastAnswerSeenAt = time.GetTimestamp();
                }
                while (unanswered.Count > 0 && unanswered.Peek().Sequence <= answered)
                {
                    unanswered.Dequeue();
                }
                if (unanswered.Count > 0 && time.GetElapsedTime(unanswered.Peek().SentAt) is var silence && silence >= timeout)
                {
                    return new HeartbeatStall(silence, unanswered.Count, SinceLastAnswer());
                }
                // A channel that takes no bytes at all is stalled as well; the machine is killed then,
                // so a line cut short by this cancellation is never read.
                long sentAt = time.GetTimestamp();
                using (var sendTimeout = new CancellationTokenSource(timeout, time))
                using (var sendLimit = CancellationTokenSource.CreateLinkedTokenSource(ct, sendTimeout.Token))
                {
                    try
                    {
                        await agent.SendAsync(HostMessage.Ping(next), sendLimit.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        return new HeartbeatStall(timeout, unanswered.Count + 1, SinceLastAnswer());
                    }
                }
                unanswered.Enqueue((next++, sentAt));
                await nextBeat.ConfigureAwait(false);
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

        // Since this loop saw the answer, which may be after the oldest unanswered PING was sent:
        // a PONG read late is still the last sign of life.
        TimeSpan? SinceLastAnswer() => lastAnswered < 0 ? null : time.GetElapsedTime(lastAnswerSeenAt);
    }
}

using System.Collections.Concurrent;
using System.Text;

namespace KataSharp.TestHost.Protocol;

/// <summary>
/// The host's end of the control channel: sends requests (one writer at a time) and routes the
/// agent's replies to whoever waits for them. When the channel ends or carries garbage, every
/// waiter fails with the error that <c>describeLoss</c> builds (which adds the console tail).
/// </summary>
internal sealed class AgentConnection
{
    private readonly Stream fromAgent;
    private readonly Stream toAgent;
    private readonly Func<string, TestHostException> describeLoss;
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<int>> pending = new();
    private readonly TaskCompletionSource<string> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile TestHostException? lost;
    private long answeredPing = -1;

    public AgentConnection(Stream fromAgent, Stream toAgent, Func<string, TestHostException> describeLoss)
    {
        this.fromAgent = fromAgent;
        this.toAgent = toAgent;
        this.describeLoss = describeLoss;
        Reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes with the agent's kernel release once it reported READY.</summary>
    public Task<string> Ready => ready.Task;

    /// <summary>Completes when the read loop ends (channel closed or broken).</summary>
    public Task Reading { get; }

    /// <summary>Registers interest in command <paramref name="id"/>'s DONE; call before sending RUN.</summary>
    public Task<int> Expect(string id)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!pending.TryAdd(id, done))
        {
            throw new InvalidOperationException($"command id {id} is already in use");
        }
        if (lost is { } error)
        {
            pending.TryRemove(id, out _);
            done.TrySetException(error);
        }
        return done.Task;
    }

    /// <summary>The highest heartbeat number the agent answered with PONG; -1 before the first.</summary>
    public long AnsweredPing => Interlocked.Read(ref answeredPing);

    /// <summary>True once the channel is gone (closed, broken, or the machine lost).</summary>
    public bool IsLost => lost is not null;

    public void Forget(string id) => pending.TryRemove(id, out _);

    /// <summary>The machine is gone: fail every waiter now (in Direct mode the pipe may outlive the agent,
    /// held open by its command wrappers, so end of file alone would come late).</summary>
    public void Lose(string reason) => FailAll(describeLoss(reason));

    public async Task SendAsync(string line, CancellationToken ct)
    {
        if (lost is { } error)
        {
            throw error;
        }
        byte[] bytes = Encoding.ASCII.GetBytes(line + "\n");
        await writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await toAgent.WriteAsync(bytes, ct).ConfigureAwait(false);
            await toAgent.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // ObjectDisposedException: killing the machine closed our end (Direct mode closes the
            // agent's stdin), possibly before the loss reached this connection.
            throw describeLoss($"cannot write to the test host's control channel ({e.Message})");
        }
        finally
        {
            writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        string reason = "the test host's control channel closed";
        try
        {
            using var reader = new StreamReader(fromAgent, Encoding.ASCII, false, 4096, leaveOpen: true);
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length > 0)
                {
                    Handle(AgentMessage.Parse(line));
                }
            }
        }
        catch (TestHostException e)
        {
            reason = e.Message;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            reason = $"the test host's control channel failed ({e.Message})";
        }
        FailAll(describeLoss(reason));
    }

    private void Handle(AgentMessage message)
    {
        switch (message)
        {
            case AgentMessage.Ready r:
                ready.TrySetResult(r.KernelRelease);
                break;
            case AgentMessage.Done d:
                if (pending.TryRemove(d.Id, out var done))
                {
                    done.TrySetResult(d.ExitCode);
                }
                break;
            case AgentMessage.Refused r:
                if (pending.TryRemove(r.Id, out var refused))
                {
                    refused.TrySetException(new TestHostException(
                        TestHostError.ProtocolViolation, $"the test host agent refused command {r.Id}: {r.Reason}"));
                }
                break;
            case AgentMessage.Pong p:
                long seen;
                while (p.Sequence > (seen = Interlocked.Read(ref answeredPing))
                    && Interlocked.CompareExchange(ref answeredPing, p.Sequence, seen) != seen)
                {
                }
                break;
            case AgentMessage.Started:
                break;
        }
    }

    private void FailAll(TestHostException error)
    {
        lost ??= error;
        ready.TrySetException(error);
        foreach (string id in pending.Keys)
        {
            if (pending.TryRemove(id, out var waiter))
            {
                waiter.TrySetException(error);
            }
        }
    }
}

namespace KataSharp.Runtime.Events;

/// <summary>
/// Where the Task service sends events. <see cref="Publish"/> never blocks and never reorders:
/// events reach containerd in the order they were published.
/// </summary>
public interface ITaskEventSink : IAsyncDisposable
{
    void Publish(TaskEvent taskEvent);

    /// <summary>Completes when every event published so far has been delivered (or given up on).</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}

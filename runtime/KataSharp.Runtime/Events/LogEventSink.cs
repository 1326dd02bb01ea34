using KataSharp.Runtime.Logging;

namespace KataSharp.Runtime.Events;

/// <summary>
/// Used when containerd gave no $TTRPC_ADDRESS (a shim started by hand): events are only
/// logged, as Kata does, instead of failing every operation.
/// </summary>
public sealed class LogEventSink : ITaskEventSink
{
    private readonly RuntimeLog _log;

    public LogEventSink(RuntimeLog log) => _log = log;

    public void Publish(TaskEvent taskEvent) => _log.Info($"event {taskEvent.Topic}: {taskEvent.Message}");

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

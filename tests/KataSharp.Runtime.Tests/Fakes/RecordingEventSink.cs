using KataSharp.Runtime.Events;

namespace KataSharp.Runtime.Tests.Fakes;

/// <summary>Keeps every published event in order; tests wait on the count instead of sleeping.</summary>
public sealed class RecordingEventSink : ITaskEventSink
{
    private readonly List<TaskEvent> _events = [];
    private readonly object _gate = new();

    public IReadOnlyList<TaskEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToList();
            }
        }
    }

    public IReadOnlyList<string> Topics => Events.Select(e => e.Topic).ToList();

    public void Publish(TaskEvent taskEvent)
    {
        lock (_gate)
        {
            _events.Add(taskEvent);
        }
    }

    public Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

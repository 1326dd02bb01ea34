using KataSharp.Runtime.Model;
using KataSharp.Runtime.Sandbox;

namespace KataSharp.Runtime.Tasks;

/// <summary>A container of the pod: its init process, its execs, and the layers it holds attached.</summary>
public sealed class TaskContainer
{
    public TaskContainer(string id, string bundle, ProcessStdio stdio, IReadOnlyList<AttachedLayer> layers)
    {
        Id = id;
        Bundle = bundle;
        Init = new TaskProcess(new ProcessKey(id, null), stdio, null);
        Layers = layers;
    }

    public string Id { get; }

    public string Bundle { get; }

    public TaskProcess Init { get; }

    public Dictionary<string, TaskProcess> Execs { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<AttachedLayer> Layers { get; }

    /// <summary>Serializes the operations that change this container's processes (start, kill, pause...).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public TaskProcess? Find(string? execId) =>
        execId is null ? Init : Execs.GetValueOrDefault(execId);
}

namespace KataSharp.Runtime.Model;

/// <summary>Names a process: the container's init when <see cref="ExecId"/> is null, else an exec.</summary>
public sealed record ProcessKey(string ContainerId, string? ExecId)
{
    public static ProcessKey From(string containerId, string execId) =>
        new(containerId, string.IsNullOrEmpty(execId) ? null : execId);

    public bool IsInit => ExecId is null;

    public override string ToString() => IsInit ? $"container {ContainerId}" : $"exec {ExecId} of container {ContainerId}";
}

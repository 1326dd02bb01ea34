using Google.Protobuf.WellKnownTypes;
using KataSharp.Runtime.Containerd.Wire;
using KataSharp.Runtime.Model;

namespace KataSharp.Runtime.Events;

/// <summary>Builds containerd's task events from domain values (the translation stays at this edge).</summary>
public static class TaskEvents
{
    public static TaskEvent Create(CreateTaskCommand command, uint pid)
    {
        var message = new TaskCreate
        {
            ContainerId = command.Id,
            Bundle = command.Bundle,
            Pid = pid,
            Io = new TaskIO
            {
                Stdin = command.Stdio.Stdin ?? "",
                Stdout = command.Stdio.Stdout ?? "",
                Stderr = command.Stdio.Stderr ?? "",
                Terminal = command.Stdio.Terminal,
            },
        };
        foreach (var mount in command.Rootfs)
        {
            var wire = new Mount { Type = mount.Type, Source = mount.Source };
            wire.Options.AddRange(mount.Options);
            message.Rootfs.Add(wire);
        }
        return Now(EventTopics.TaskCreate, message);
    }

    public static TaskEvent Start(string containerId, uint pid) =>
        Now(EventTopics.TaskStart, new TaskStart { ContainerId = containerId, Pid = pid });

    public static TaskEvent ExecAdded(ProcessKey key) =>
        Now(EventTopics.TaskExecAdded, new TaskExecAdded { ContainerId = key.ContainerId, ExecId = key.ExecId ?? "" });

    public static TaskEvent ExecStarted(ProcessKey key, uint pid) =>
        Now(EventTopics.TaskExecStarted, new TaskExecStarted { ContainerId = key.ContainerId, ExecId = key.ExecId ?? "", Pid = pid });

    /// <summary>TaskExit.id is the container id for init and the exec id for an exec: CRI matches on it.</summary>
    public static TaskEvent Exit(ProcessKey key, uint pid, ExitStatus exit) =>
        Now(EventTopics.TaskExit, new TaskExit
        {
            ContainerId = key.ContainerId,
            Id = key.ExecId ?? key.ContainerId,
            Pid = pid,
            ExitStatus = exit.Code,
            ExitedAt = Timestamp.FromDateTimeOffset(exit.ExitedAt),
        });

    public static TaskEvent Delete(string containerId, uint pid, ExitStatus exit) =>
        Now(EventTopics.TaskDelete, new TaskDelete
        {
            ContainerId = containerId,
            Pid = pid,
            ExitStatus = exit.Code,
            ExitedAt = Timestamp.FromDateTimeOffset(exit.ExitedAt),
        });

    public static TaskEvent Oom(string containerId) => Now(EventTopics.TaskOom, new TaskOOM { ContainerId = containerId });

    public static TaskEvent Paused(string containerId) => Now(EventTopics.TaskPaused, new TaskPaused { ContainerId = containerId });

    public static TaskEvent Resumed(string containerId) => Now(EventTopics.TaskResumed, new TaskResumed { ContainerId = containerId });

    private static TaskEvent Now(string topic, Google.Protobuf.IMessage message) => new(topic, message, DateTimeOffset.UtcNow);
}

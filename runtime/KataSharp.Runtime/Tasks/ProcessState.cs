namespace KataSharp.Runtime.Tasks;

/// <summary>A container process as containerd sees it (init or exec).</summary>
public enum ProcessState
{
    Created,
    Running,
    Paused,
    Stopped,
    Deleted,
}

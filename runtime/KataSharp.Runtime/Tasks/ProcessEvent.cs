namespace KataSharp.Runtime.Tasks;

/// <summary>What can happen to a process; <see cref="ProcessLifecycle"/> says where each leads.</summary>
public enum ProcessEvent
{
    Start,
    Pause,
    Resume,
    Exit,
    Delete,
}

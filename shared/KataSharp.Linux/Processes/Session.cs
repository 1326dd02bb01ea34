using KataSharp.Linux.Interop;
using static KataSharp.Linux.Interop.UnistdCalls;

namespace KataSharp.Linux.Processes;

/// <summary>
/// setsid(2): a daemon detaches from its parent's session and process group, so signals aimed at
/// the group that started it (a terminal's Ctrl-C, containerd's cleanup) do not reach it.
/// </summary>
public static class Session
{
    /// <summary>Starts a new session led by this process; fails (EPERM) for a process-group leader.</summary>
    public static int CreateNew() => Libc.Check(setsid(), "setsid");
}

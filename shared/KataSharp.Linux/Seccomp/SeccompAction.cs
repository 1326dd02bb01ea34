using static KataSharp.Linux.Interop.SeccompCalls;

namespace KataSharp.Linux.Seccomp;

/// <summary>
/// What a seccomp filter does with a syscall (the kernel's SECCOMP_RET_* value as libseccomp encodes it): allow it,
/// fail it with an errno, kill, trap, hand it to a tracer, or log and allow it.
/// </summary>
public readonly record struct SeccompAction
{
    private SeccompAction(uint value) => Value = value;

    /// <summary>The encoded action (SCMP_ACT_*), as libseccomp and the kernel take it.</summary>
    public uint Value { get; }

    public static SeccompAction Allow { get; } = new(SCMP_ACT_ALLOW);

    /// <summary>Allow, and log the call (audit log).</summary>
    public static SeccompAction Log { get; } = new(SCMP_ACT_LOG);

    public static SeccompAction KillProcess { get; } = new(SCMP_ACT_KILL_PROCESS);

    public static SeccompAction KillThread { get; } = new(SCMP_ACT_KILL_THREAD);

    /// <summary>Deliver SIGSYS to the calling thread.</summary>
    public static SeccompAction Trap { get; } = new(SCMP_ACT_TRAP);

    /// <summary>Fail the call with <paramref name="errno"/> (the kernel keeps 16 bits of it).</summary>
    public static SeccompAction Errno(uint errno) => new(ActErrnoBase | (Checked16(errno, nameof(errno)) & ActDataMask));

    /// <summary>Notify a ptrace tracer with <paramref name="message"/>; without a tracer the call fails with ENOSYS.</summary>
    public static SeccompAction Trace(uint message) => new(ActTraceBase | (Checked16(message, nameof(message)) & ActDataMask));

    private static uint Checked16(uint value, string name) =>
        value <= ActDataMask ? value : throw new ArgumentOutOfRangeException(name, value, "seccomp keeps 16 bits of an action's data");

    public override string ToString() => (Value & ~ActDataMask) switch
    {
        SCMP_ACT_ALLOW => "allow",
        SCMP_ACT_LOG => "log",
        SCMP_ACT_KILL_PROCESS => "kill-process",
        SCMP_ACT_KILL_THREAD => "kill-thread",
        SCMP_ACT_TRAP => "trap",
        ActErrnoBase => $"errno({Value & ActDataMask})",
        ActTraceBase => $"trace({Value & ActDataMask})",
        _ => $"0x{Value:x8}",
    };
}

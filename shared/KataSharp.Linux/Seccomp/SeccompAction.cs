namespace KataSharp.Linux.Seccomp;

/// <summary>What a seccomp filter does with a system call (libseccomp's SCMP_ACT_* values).</summary>
public readonly record struct SeccompAction(uint Value)
{
    public static SeccompAction Allow => new(Interop.SeccompCalls.SCMP_ACT_ALLOW);

    /// <summary>The whole process dies with SIGSYS (no handler can catch it).</summary>
    public static SeccompAction KillProcess => new(Interop.SeccompCalls.SCMP_ACT_KILL_PROCESS);

    public static SeccompAction KillThread => new(Interop.SeccompCalls.SCMP_ACT_KILL_THREAD);

    public static SeccompAction Trap => new(Interop.SeccompCalls.SCMP_ACT_TRAP);

    /// <summary>Allowed, and logged by the kernel (audit type 1326): for finding what a filter would refuse.</summary>
    public static SeccompAction Log => new(Interop.SeccompCalls.SCMP_ACT_LOG);

    /// <summary>The call fails with <paramref name="errno"/> without running.</summary>
    public static SeccompAction Errno(int errno) => new(Interop.SeccompCalls.SCMP_ACT_ERRNO_BASE | ((uint)errno & 0xffff));
}

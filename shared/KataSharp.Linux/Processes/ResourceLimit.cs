namespace KataSharp.Linux.Processes;

/// <summary>The resource limits a confined process gets (setrlimit(2) resources).</summary>
public enum ResourceLimit
{
    /// <summary>RLIMIT_CORE: bytes of a core dump (0: none, so guest memory never lands in a file).</summary>
    CoreFileBytes,

    /// <summary>RLIMIT_NPROC: processes and threads of the real uid.</summary>
    Processes,

    /// <summary>RLIMIT_NOFILE: one more than the highest descriptor number.</summary>
    OpenFiles,
}

namespace KataSharp.Linux.Threading;

/// <summary>Signal numbers the VMM aims at its own threads (x86-64 numbering).</summary>
public static class SignalNumber
{
    /// <summary>SIGUSR2: kicks a vCPU thread out of KVM_RUN. .NET leaves it unused; the VMM keeps it
    /// blocked on vCPU threads, so it is never delivered, only consumed.</summary>
    public const int SIGUSR2 = 12;
}

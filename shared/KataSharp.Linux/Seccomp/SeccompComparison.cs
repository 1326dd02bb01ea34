namespace KataSharp.Linux.Seccomp;

/// <summary>How a condition compares a system call argument (libseccomp's scmp_compare).</summary>
public enum SeccompComparison
{
    NotEqual = Interop.SeccompCalls.SCMP_CMP_NE,
    LessThan = Interop.SeccompCalls.SCMP_CMP_LT,
    LessOrEqual = Interop.SeccompCalls.SCMP_CMP_LE,
    Equal = Interop.SeccompCalls.SCMP_CMP_EQ,
    GreaterOrEqual = Interop.SeccompCalls.SCMP_CMP_GE,
    GreaterThan = Interop.SeccompCalls.SCMP_CMP_GT,
    /// <summary>(argument &amp; Value) == ValueTwo.</summary>
    MaskedEqual = Interop.SeccompCalls.SCMP_CMP_MASKED_EQ,
}

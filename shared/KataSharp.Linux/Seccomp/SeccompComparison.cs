using static KataSharp.Linux.Interop.SeccompCalls;

namespace KataSharp.Linux.Seccomp;

/// <summary>How a syscall argument is compared (libseccomp's enum scmp_compare). Comparisons are on the full 64 bits.</summary>
public enum SeccompComparison
{
    NotEqual = SCMP_CMP_NE,
    LessThan = SCMP_CMP_LT,
    LessOrEqual = SCMP_CMP_LE,
    Equal = SCMP_CMP_EQ,
    GreaterOrEqual = SCMP_CMP_GE,
    GreaterThan = SCMP_CMP_GT,

    /// <summary>(argument &amp; Value) == ValueTwo.</summary>
    MaskedEqual = SCMP_CMP_MASKED_EQ,
}

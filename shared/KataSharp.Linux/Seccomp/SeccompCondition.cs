namespace KataSharp.Linux.Seccomp;

/// <summary>A condition on argument <paramref name="Index"/> (0–5) of a rule's system call.</summary>
public readonly record struct SeccompCondition(int Index, SeccompComparison Comparison, ulong Value, ulong ValueTwo = 0);

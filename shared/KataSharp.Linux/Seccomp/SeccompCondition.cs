namespace KataSharp.Linux.Seccomp;

/// <summary>
/// One comparison of a syscall argument (0-5) in a rule; all conditions of one rule must hold (AND). libseccomp takes at
/// most one condition per argument in a rule: two ranges of one argument are two rules.
/// </summary>
/// <param name="Argument">The argument's index, 0-5.</param>
/// <param name="Comparison">How it is compared.</param>
/// <param name="Value">The operand; the mask for <see cref="SeccompComparison.MaskedEqual"/>.</param>
/// <param name="ValueTwo">The expected masked value for <see cref="SeccompComparison.MaskedEqual"/>; unused otherwise.</param>
public readonly record struct SeccompCondition(uint Argument, SeccompComparison Comparison, ulong Value, ulong ValueTwo = 0)
{
    /// <summary>Syscalls have six arguments.</summary>
    public const uint MaxArguments = 6;

    public static SeccompCondition Equal(uint argument, ulong value) => new(argument, SeccompComparison.Equal, value);

    public static SeccompCondition MaskedEqual(uint argument, ulong mask, ulong value) => new(argument, SeccompComparison.MaskedEqual, mask, value);
}

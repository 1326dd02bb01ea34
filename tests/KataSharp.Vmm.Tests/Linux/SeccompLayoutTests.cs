using KataSharp.Linux.Interop;
using KataSharp.Linux.Seccomp;
using KataSharp.Vmm.Tests.Support;
using Xunit;

namespace KataSharp.Vmm.Tests.Linux;

/// <summary>
/// libseccomp's binding (SeccompCalls) against seccomp.h (libseccomp-dev): every constant, the actions' function-like
/// macros, struct scmp_arg_cmp, and the typed wrapper's comparison values (see <see cref="CHeaderAssertions"/>).
/// </summary>
public sealed class SeccompLayoutTests
{
    [Fact]
    public void Seccomp_constants_and_scmp_arg_cmp_match_seccomp_h()
    {
        var c = new CHeaderAssertions("seccomp.h");
        c.Constants(typeof(SeccompCalls), except:
            [nameof(SeccompCalls.LibSeccomp), nameof(SeccompCalls.ActErrnoBase), nameof(SeccompCalls.ActTraceBase), nameof(SeccompCalls.ActDataMask)]);
        c.Assert($"SCMP_ACT_ERRNO(0) == {SeccompCalls.ActErrnoBase}u");
        c.Assert($"SCMP_ACT_TRACE(0) == {SeccompCalls.ActTraceBase}u");
        c.Assert($"SCMP_ACT_ERRNO(0xffffffffu) == ({SeccompCalls.ActErrnoBase}u | {SeccompCalls.ActDataMask}u)");
        c.Assert($"SCMP_ACT_ERRNO(13) == {SeccompAction.Errno(13).Value}u");
        c.Assert($"SCMP_ACT_TRACE(7) == {SeccompAction.Trace(7).Value}u");
        c.Struct(typeof(SeccompCalls.scmp_arg_cmp));
        foreach (SeccompComparison comparison in Enum.GetValues<SeccompComparison>())
        {
            c.Assert($"{(int)comparison} == {ComparisonMacro(comparison)}");
        }
        c.Compile();
    }

    private static string ComparisonMacro(SeccompComparison comparison) => comparison switch
    {
        SeccompComparison.NotEqual => "SCMP_CMP_NE",
        SeccompComparison.LessThan => "SCMP_CMP_LT",
        SeccompComparison.LessOrEqual => "SCMP_CMP_LE",
        SeccompComparison.Equal => "SCMP_CMP_EQ",
        SeccompComparison.GreaterOrEqual => "SCMP_CMP_GE",
        SeccompComparison.GreaterThan => "SCMP_CMP_GT",
        SeccompComparison.MaskedEqual => "SCMP_CMP_MASKED_EQ",
        _ => throw new ArgumentOutOfRangeException(nameof(comparison), comparison, null),
    };
}

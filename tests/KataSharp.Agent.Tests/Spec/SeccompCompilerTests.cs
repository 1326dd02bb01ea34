using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Seccomp;
using KataSharp.Agent.Errors;
using Xunit;

namespace KataSharp.Agent.Tests.Spec;

public sealed class SeccompCompilerTests
{
    private const uint Allow = 0x7fff0000, KillProcess = 0x80000000;
    private const int Mkdir = 83, Personality = 135, Read = 0, Clone = 56;

    private static uint Errno(uint e) => 0x00050000 | e;

    private static OciSeccomp Profile(string defaultAction, params OciSyscall[] rules) =>
        new() { DefaultAction = defaultAction, DefaultErrnoRet = 38, Syscalls = [.. rules] };

    [Fact]
    public void AllowList_AllowsListed_AndAppliesTheDefaultToTheRest()
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", new OciSyscall { Names = ["read", "no_such_syscall"], Action = "SCMP_ACT_ALLOW" }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Read));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Mkdir));
    }

    [Fact]
    public void ForeignArchitecturesAndX32_NeverBypassADenyList()
    {
        byte[] denyList = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", new OciSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" }));
        Assert.Equal(Errno(1), BpfInterpreter.Run(denyList, Mkdir));
        Assert.Equal(KillProcess, BpfInterpreter.Run(denyList, Mkdir, arch: 0x40000003)); // i386
        Assert.Equal(KillProcess, BpfInterpreter.Run(denyList, 0x40000000 | Mkdir));     // x32 numbering
        byte[] allowList = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO"));
        Assert.Equal(Errno(38), BpfInterpreter.Run(allowList, Read, arch: 0x40000003));
    }

    [Theory]
    [InlineData("SCMP_CMP_EQ", 0x8UL, 0UL, 0x8UL, true)]
    [InlineData("SCMP_CMP_EQ", 0x8UL, 0UL, 0x1_0000_0008UL, false)]
    [InlineData("SCMP_CMP_NE", 0x8UL, 0UL, 0x9UL, true)]
    [InlineData("SCMP_CMP_NE", 0x8UL, 0UL, 0x8UL, false)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000UL, 0UL, 0x1_0000_0001UL, true)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, false)]
    [InlineData("SCMP_CMP_GT", 0x1_0000_0000UL, 0UL, 0xffff_ffffUL, false)]
    [InlineData("SCMP_CMP_GE", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, true)]
    [InlineData("SCMP_CMP_LT", 0x1_0000_0000UL, 0UL, 0xffff_ffffUL, true)]
    [InlineData("SCMP_CMP_LT", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, false)]
    [InlineData("SCMP_CMP_LE", 0x1_0000_0000UL, 0UL, 0x1_0000_0000UL, true)]
    [InlineData("SCMP_CMP_LE", 0x5UL, 0UL, 0x2_0000_0000UL, false)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xff00UL, 0x1200UL, 0x12abUL, true)]
    [InlineData("SCMP_CMP_MASKED_EQ", 0xff00UL, 0x1200UL, 0x13abUL, false)]
    public void ArgumentComparisons_Match64BitValues(string op, ulong value, ulong valueTwo, ulong actual, bool matches)
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", new OciSyscall
        {
            Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [new OciSeccompArg { Index = 0, Op = op, Value = value, ValueTwo = valueTwo }],
        }));
        Assert.Equal(matches ? Allow : Errno(38), BpfInterpreter.Run(bpf, Personality, args: actual));
    }

    [Fact]
    public void SeveralArgumentRules_ForOneSyscall_FirstMatchWins()
    {
        // Docker's profile allows personality(0), personality(8) and personality(0xffffffff) with three rules.
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            new OciSyscall { Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [new OciSeccompArg { Op = "SCMP_CMP_EQ", Value = 0 }] },
            new OciSyscall { Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [new OciSeccompArg { Op = "SCMP_CMP_EQ", Value = 8 }] },
            new OciSyscall { Names = ["clone"], Action = "SCMP_ACT_ALLOW", Args = [new OciSeccompArg { Index = 0, Op = "SCMP_CMP_MASKED_EQ", Value = 0x7E020000, ValueTwo = 0 }] }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Personality, args: 0));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Personality, args: 8));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Personality, args: 4));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Clone, args: 0x11));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Clone, args: 0x20000000)); // CLONE_NEWPID
    }

    [Fact]
    public void BadProfiles_AreInvalidArgument_NamingTheField()
    {
        Assert.Equal("linux.seccomp.defaultAction", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_SOMETIMES"))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].args[0].op", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ERRNO", Args = [new OciSeccompArg { Op = "SCMP_CMP_ROUGHLY" }] }))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].action", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_NOTIFY" }))).Field);
    }
}

using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Seccomp;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Seccomp;
using Xunit;

namespace KataSharp.Agent.Tests.Spec;

/// <summary>
/// The compiled programs by behaviour (<see cref="BpfInterpreter"/> over a struct seccomp_data): syscall numbers come from
/// libseccomp's tables, never typed here. What the kernel itself does with them is <see cref="Engine.SeccompProfileTests"/>.
/// </summary>
public sealed class SeccompCompilerTests
{
    private const uint Allow = 0x7fff0000, KillProcess = 0x80000000;
    private const uint AuditArchI386 = 0x40000003, X32SyscallBit = 0x40000000;
    private const ulong CloneNewUser = 0x10000000;

    private static uint Errno(uint e) => 0x00050000 | e;

    private static int Nr(string name) => SeccompFilter.ResolveSyscall(name) ?? throw new InvalidOperationException($"libseccomp does not know {name}");

    private static int I386(string name) => SeccompFilter.ResolveSyscall(name, "x86") ?? throw new InvalidOperationException($"libseccomp does not know {name} on x86");

    private static OciSeccomp Profile(string defaultAction, params OciSyscall[] rules) =>
        new() { DefaultAction = defaultAction, DefaultErrnoRet = 38, Syscalls = [.. rules] };

    private static OciSeccompArg Arg(uint index, string op, ulong value, ulong valueTwo = 0) => new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };

    [Fact]
    public void AllowList_AllowsListed_AndAppliesTheDefaultToTheRest()
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ALLOW" }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("read")));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("mkdir")));
    }

    [Fact]
    public void NamesLibseccompDoesNotKnow_AreSkipped_AndTheRestOfTheRuleApplies()
    {
        Assert.Null(SeccompFilter.ResolveSyscall("ks_no_such_syscall"));
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", new OciSyscall { Names = ["ks_no_such_syscall", "keyctl"], Action = "SCMP_ACT_ERRNO" }));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, Nr("keyctl")));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("read")));
    }

    [Fact]
    public void ForeignArchitecturesAndX32_NeverBypassADenyList()
    {
        OciSeccomp profile = Profile("SCMP_ACT_ALLOW", new OciSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO" });
        profile.Architectures = ["SCMP_ARCH_X86_64"];
        byte[] denyList = SeccompCompiler.Compile(profile);
        Assert.Equal(Errno(1), BpfInterpreter.Run(denyList, Nr("mkdir")));
        Assert.Equal(KillProcess, BpfInterpreter.Run(denyList, I386("mkdir"), arch: AuditArchI386));
        Assert.Equal(KillProcess, BpfInterpreter.Run(denyList, (int)X32SyscallBit | Nr("mkdir"))); // x32 numbering
        Assert.Equal(KillProcess, BpfInterpreter.Run(denyList, (int)X32SyscallBit | Nr("getpid")));
        byte[] allowList = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO"));
        Assert.Equal(Errno(38), BpfInterpreter.Run(allowList, I386("read"), arch: AuditArchI386));
        Assert.Equal(Errno(38), BpfInterpreter.Run(allowList, (int)X32SyscallBit | Nr("read")));
    }

    [Fact]
    public void ListedArchitectures_GetTheRulesUnderTheirOwnNumbers()
    {
        OciSeccomp profile = Profile("SCMP_ACT_ALLOW", new OciSyscall { Names = ["unshare"], Action = "SCMP_ACT_ERRNO" });
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        byte[] bpf = SeccompCompiler.Compile(profile);
        Assert.NotEqual(Nr("unshare"), I386("unshare"));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, I386("unshare"), arch: AuditArchI386));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, I386("getpid"), arch: AuditArchI386));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, (int)X32SyscallBit | Nr("unshare")));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, (int)X32SyscallBit | Nr("getpid")));
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
            Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, op, value, valueTwo)],
        }));
        Assert.Equal(matches ? Allow : Errno(38), BpfInterpreter.Run(bpf, Nr("personality"), args: actual));
    }

    [Fact]
    public void SeveralArgumentRules_ForOneSyscall_AnyMatchAllows()
    {
        // Docker's profile allows personality(0), personality(8) and personality(0xffffffff) with three rules.
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            new OciSyscall { Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_EQ", 0)] },
            new OciSyscall { Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_EQ", 8)] },
            new OciSyscall { Names = ["clone"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_MASKED_EQ", 0x7E020000)] }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("personality"), args: 0));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("personality"), args: 8));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("personality"), args: 4));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("clone"), args: 0x11));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("clone"), args: CloneNewUser));
    }

    /// <summary>runc's rule: one argument compared twice in a rule makes every condition a rule of its own (ORed);
    /// libseccomp alone would refuse the rule.</summary>
    [Fact]
    public void ConditionsOnOneArgument_AreORed()
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", new OciSyscall
        {
            Names = ["personality"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_EQ", 1), Arg(0, "SCMP_CMP_EQ", 2)],
        }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("personality"), args: 1));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("personality"), args: 2));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("personality"), args: 3));
    }

    [Fact]
    public void ConditionsOnDifferentArguments_AreANDed()
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", new OciSyscall
        {
            Names = ["kill"], Action = "SCMP_ACT_ALLOW", Args = [Arg(0, "SCMP_CMP_EQ", 1), Arg(1, "SCMP_CMP_EQ", 15)],
        }));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("kill"), args: [1, 15]));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("kill"), args: [1, 9]));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("kill"), args: [2, 15]));
    }

    [Fact]
    public void ARuleWithTheDefaultAction_IsDropped_AsRuncDoes()
    {
        byte[] bpf = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO",
            new OciSyscall { Names = ["mkdir"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 38 },
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ALLOW" }));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("mkdir")));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("read")));
    }

    [Theory]
    [InlineData(SeccompProfiles.ContainerdRuntimeDefault)]
    [InlineData(SeccompProfiles.DockerDefault)]
    public void UpstreamDefaultProfiles_Compile_AndDenyUnshareAndKeyctlOnEveryEntryPoint(string name)
    {
        byte[] bpf = SeccompCompiler.Compile(SeccompProfiles.Parse(name));
        Assert.True(bpf.Length / 8 <= 4096, $"{bpf.Length / 8} instructions");
        foreach (string denied in new[] { "unshare", "keyctl", "mount", "setns", "bpf", "add_key" })
        {
            Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, Nr(denied)));
            Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, I386(denied), arch: AuditArchI386));
            Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, (int)X32SyscallBit | Nr(denied)));
        }
        foreach (string allowed in new[] { "getpid", "read", "execve", "arch_prctl", "chroot" })
        {
            Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr(allowed)));
        }
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, I386("getpid"), arch: AuditArchI386));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("personality"), args: 8));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, Nr("personality"), args: 4));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("clone"), args: 0x11));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, Nr("clone"), args: CloneNewUser | 0x11));
    }

    [Fact]
    public void DockersDefault_DeniesClone3WithEnosys_AndAfAlgSockets()
    {
        const ulong afInet = 2, afVsock = 40;
        byte[] bpf = SeccompCompiler.Compile(SeccompProfiles.Parse(SeccompProfiles.DockerDefault));
        Assert.Equal(Errno(38), BpfInterpreter.Run(bpf, Nr("clone3")));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("socket"), args: afInet));
        Assert.Equal(Errno(1), BpfInterpreter.Run(bpf, Nr("socket"), args: afVsock));
        Assert.Equal(Allow, BpfInterpreter.Run(bpf, Nr("io_uring_setup")));
    }

    [Fact]
    public void BadProfiles_AreInvalidArgument_NamingTheField()
    {
        Assert.Equal("linux.seccomp.defaultAction", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_SOMETIMES"))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].args[0].op", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ERRNO", Args = [new OciSeccompArg { Op = "SCMP_CMP_ROUGHLY" }] }))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].args[0].index", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ERRNO", Args = [Arg(6, "SCMP_CMP_EQ", 0)] }))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].action", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_NOTIFY" }))).Field);
        Assert.Equal("linux.seccomp.syscalls[0].action", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW",
            new OciSyscall { Names = ["read"], Action = "SCMP_ACT_ERRNO", ErrnoRet = 70000 }))).Field);
        OciSeccomp martian = Profile("SCMP_ACT_ALLOW");
        martian.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_MARS"];
        Assert.Equal("linux.seccomp.architectures[1]", Assert.Throws<AgentException>(() => SeccompCompiler.Compile(martian)).Field);
    }
}

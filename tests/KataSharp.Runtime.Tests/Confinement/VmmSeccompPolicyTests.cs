using KataSharp.Confinement;
using KataSharp.Linux.Seccomp;
using Xunit;

namespace KataSharp.Runtime.Tests.Confinement;

/// <summary>The confined VMM's allowlist: every name is one libseccomp knows (a misspelt name would be a rule nobody
/// has), it compiles, and the calls an attacker in the device model would reach for first are not on it.</summary>
public sealed class VmmSeccompPolicyTests
{
    [Fact]
    public void Every_allowed_name_is_a_system_call_libseccomp_knows_and_the_filter_compiles()
    {
        Assert.All(VmmSeccompPolicy.Allowed, name => Assert.True(SeccompFilter.ResolveSyscall(name) is not null, $"libseccomp does not know '{name}'"));
        Assert.Equal(VmmSeccompPolicy.Allowed.Count, VmmSeccompPolicy.Allowed.Distinct().Count());
        using SeccompFilter filter = VmmSeccompPolicy.Build(SeccompAction.KillProcess);
        byte[] bpf = filter.ExportBpf();
        Assert.True(bpf.Length > 0 && bpf.Length % 8 == 0, $"{bpf.Length} bytes of BPF");
    }

    [Theory]
    [InlineData("execve")]
    [InlineData("execveat")]
    [InlineData("fork")]
    [InlineData("vfork")]
    [InlineData("clone")] // only with CLONE_THREAD (a condition, not on the unconditional list)
    [InlineData("clone3")]
    [InlineData("socket")] // only AF_UNIX (a condition)
    [InlineData("socketpair")]
    [InlineData("prctl")] // only four options (conditions)
    [InlineData("ptrace")]
    [InlineData("process_vm_readv")]
    [InlineData("process_vm_writev")]
    [InlineData("mount")]
    [InlineData("umount2")]
    [InlineData("pivot_root")]
    [InlineData("chroot")]
    [InlineData("unshare")]
    [InlineData("setns")]
    [InlineData("bpf")]
    [InlineData("perf_event_open")]
    [InlineData("keyctl")]
    [InlineData("add_key")]
    [InlineData("request_key")]
    [InlineData("userfaultfd")]
    [InlineData("io_uring_setup")]
    [InlineData("init_module")]
    [InlineData("finit_module")]
    [InlineData("kexec_load")]
    [InlineData("setuid")]
    [InlineData("setresuid")]
    [InlineData("capset")]
    [InlineData("open_by_handle_at")]
    [InlineData("mknod")]
    [InlineData("mknodat")]
    [InlineData("kill")]
    [InlineData("personality")]
    public void An_attackers_first_calls_are_not_allowed_unconditionally(string name)
    {
        Assert.True(SeccompFilter.ResolveSyscall(name) is not null, $"libseccomp does not know '{name}': the test names a real call");
        Assert.DoesNotContain(name, VmmSeccompPolicy.Allowed);
    }
}

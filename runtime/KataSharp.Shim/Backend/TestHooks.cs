namespace KataSharp.Shim.Backend;

/// <summary>
/// Test-only hooks, honoured only when the shim's environment has KATASHARP_TEST_HOOKS=1 (containerd passes its own
/// environment to shims; the e2e scenarios start their containerd with it, nothing else does).
/// <see cref="ForbiddenSyscallAnnotation"/> on a container: once its init has started, the confined VMM is told to make a
/// system call its seccomp filter refuses — the isolation test of issue 11 that the VMM dies of it and the sandbox's
/// death is reported cleanly.
/// </summary>
public static class TestHooks
{
    public const string EnvironmentVariable = "KATASHARP_TEST_HOOKS";

    public const string ForbiddenSyscallAnnotation = "io.katasharp.test.forbidden-syscall";

    public static bool Enabled => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";
}

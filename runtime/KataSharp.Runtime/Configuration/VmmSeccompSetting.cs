namespace KataSharp.Runtime.Configuration;

/// <summary>[runtime] vmm_seccomp: what the confined VMM's seccomp filter does with a system call outside its allowlist.</summary>
public enum VmmSeccompSetting
{
    /// <summary>"kill": the VMM process dies (SIGSYS); the sandbox is reported dead.</summary>
    Kill,

    /// <summary>"log": allowed, and logged by the kernel (audit type 1326), for finding what the allowlist lacks.</summary>
    Log,

    /// <summary>"off": no filter (debugging only).</summary>
    Off,
}

using KataSharp.Linux.Mounts;
using KataSharp.Linux.Processes;
using KataSharp.Linux.Seccomp;

namespace KataSharp.Confinement;

/// <summary>
/// The steps the VMM process takes on itself once its VM is built (so every file it needs is open) and before a vCPU
/// runs. It was started by util-linux unshare(1) in new mount, PID, IPC, UTS and network namespaces, as root; after
/// this it is an unprivileged uid in an empty, read-only root. The order matters: the pivot needs root; dropping the uid
/// empties the capabilities; the seccomp filter comes last and reaches every thread (thread sync), bringing
/// no_new_privs with it.
/// </summary>
public static class VmmConfinement
{
    /// <summary>Descriptors: the VM's memory slots, vCPUs, devices, eventfds, vsock connections (bounded by the muxer) and
    /// the runtime's own, with room to spare; a leak or a flood stops here instead of at the host's limit.</summary>
    public const ulong MaxOpenFiles = 1024;

    /// <summary>Threads of the VMM's uid (unique to this sandbox): vCPUs, device workers, event loop, the runtime's.</summary>
    public const ulong MaxThreads = 256;

    public static void Apply(VmmProcessSpec spec, Action<string> log)
    {
        // Built before the pivot: libseccomp is loaded from the host's /usr/lib on first use, and after the pivot there is
        // no /usr/lib.
        using SeccompFilter? filter = spec.Seccomp switch
        {
            "off" => null,
            "log" => VmmSeccompPolicy.Build(SeccompAction.Log),
            _ => VmmSeccompPolicy.Build(SeccompAction.KillProcess),
        };
        RootPivot.Into(spec.Root, readOnly: true);
        ResourceLimits.Set(ResourceLimit.CoreFileBytes, 0);
        ResourceLimits.Set(ResourceLimit.OpenFiles, MaxOpenFiles);
        ResourceLimits.Set(ResourceLimit.Processes, MaxThreads);
        Credentials.DropTo(spec.Uid, spec.Gid);
        PrivilegeFlags.SetDumpable(false);
        PrivilegeFlags.SetNoNewPrivileges();
        filter?.Load();
        log(spec.Seccomp switch
        {
            "off" => "seccomp filter off (vmm_seccomp = \"off\", debugging only)",
            "log" => "seccomp filter in log mode: calls outside the allowlist are allowed and logged by the kernel (audit type 1326)",
            _ => "seccomp filter loaded: calls outside the allowlist kill the VMM",
        });
        log($"confined: root {spec.Root} (read-only, empty), uid/gid {spec.Uid}/{spec.Gid}, no capabilities, no_new_privs");
    }
}

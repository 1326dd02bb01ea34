using KataSharp.CriProbe.Cri;

namespace KataSharp.CriProbe.Cli;

/// <summary>
/// A container's LinuxContainerSecurityContext, from flags, filled the way the kubelet fills it
/// from a pod spec's securityContext (what containerd 1.6's CRI plugin then reads is noted per field).
/// </summary>
internal static class SecurityContextOptions
{
    public const string Help =
        "  security flags (create): [--run-as-user UID [--run-as-group GID]] [--supplemental-group GID]...\n" +
        "             [--readonly-rootfs true|false] [--no-new-privs true|false] [--cap-add CAP]... [--cap-drop CAP]...\n" +
        "             (CAP as in a pod spec: NET_RAW, ALL - no CAP_ prefix) [--seccomp runtime/default|unconfined|localhost/PATH]\n" +
        "             [--proc-mount default|unmasked] (default sends the kubelet's masked/readonly /proc lists;\n" +
        "             absent sends none, as before, and containerd 1.6 then masks nothing)";

    // The kubelet's lists for procMount Default (k8s.io/kubernetes pkg/securitycontext/util.go,
    // release-1.26, the kubelet generation of containerd 1.6): it sends them for every ordinary
    // container. containerd 1.6 replaces its own OCI defaults with empty lists and applies only what
    // CRI sends (pkg/cri/server/container_create_linux.go), so not sending them means nothing is masked.
    private static readonly string[] DefaultMaskedPaths =
    [
        "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
    ];

    private static readonly string[] DefaultReadonlyPaths =
    [
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    ];

    public static LinuxContainerSecurityContext Read(ProbeArguments args, PodSandboxConfig pod)
    {
        var context = new LinuxContainerSecurityContext
        {
            Privileged = args.Boolean("privileged"),
            NamespaceOptions = PodConfigOptions.ContainerNamespaces(pod),
            ReadonlyRootfs = args.Boolean("readonly-rootfs"),
            NoNewPrivs = args.Boolean("no-new-privs"),
        };
        long? user = args.OptionalNumber("run-as-user");
        long? group = args.OptionalNumber("run-as-group");
        if (group is not null && user is null)
        {
            // The kubelet never sends a group alone, and containerd refuses it ("user group is specified without user").
            throw new ProbeException("--run-as-group needs --run-as-user (CRI: run_as_group only together with run_as_user)");
        }
        if (user is < 0 || group is < 0)
        {
            throw new ProbeException("--run-as-user and --run-as-group must be 0 or more");
        }
        if (user is not null)
        {
            context.RunAsUser = new Int64Value { Value = user.Value };
        }
        if (group is not null)
        {
            context.RunAsGroup = new Int64Value { Value = group.Value };
        }
        context.SupplementalGroups.Add(args.Numbers("supplemental-group"));

        IReadOnlyList<string> add = Capabilities(args, "cap-add");
        IReadOnlyList<string> drop = Capabilities(args, "cap-drop");
        if (add.Count > 0 || drop.Count > 0)
        {
            // Only sent when asked for: without a Capability message containerd keeps its default set.
            context.Capabilities = new Capability();
            context.Capabilities.AddCapabilities.Add(add);
            context.Capabilities.DropCapabilities.Add(drop);
        }

        if (args.Optional("seccomp") is string seccomp)
        {
            context.Seccomp = ParseSeccomp(seccomp);
        }

        switch (args.Optional("proc-mount"))
        {
            case null:
            case "unmasked":
                // Unmasked is empty lists, and an empty repeated field is absent on the wire: the same bytes.
                break;
            case "default":
                context.MaskedPaths.Add(DefaultMaskedPaths);
                context.ReadonlyPaths.Add(DefaultReadonlyPaths);
                break;
            case string other:
                throw new ProbeException($"--proc-mount '{other}' is not default or unmasked");
        }
        return context;
    }

    /// <summary>
    /// Capability names as a pod spec has them. containerd 1.6 (pkg/cri/opts/spec_linux.go,
    /// WithCapabilities) upper-cases each name and prepends CAP_ itself, and treats ALL specially;
    /// a name that already has CAP_ would become CAP_CAP_..., so it is refused here.
    /// </summary>
    private static IReadOnlyList<string> Capabilities(ProbeArguments args, string flag)
    {
        IReadOnlyList<string> names = args.All(flag);
        foreach (string name in names)
        {
            if (name.Length == 0 || name.StartsWith("CAP_", StringComparison.OrdinalIgnoreCase))
            {
                throw new ProbeException($"--{flag} '{name}': give the name without CAP_ (NET_RAW, SYS_ADMIN, ALL), as in a pod spec; containerd adds the prefix");
            }
        }
        return names;
    }

    /// <summary>
    /// The `seccomp` SecurityProfile (field 15). containerd 1.6's containerSpecOpts reads
    /// securityContext.GetSeccomp() and only when that is nil falls back to the deprecated
    /// seccomp_profile_path string, so the structured field alone is enough.
    /// </summary>
    private static SecurityProfile ParseSeccomp(string text)
    {
        const string Localhost = "localhost/";
        return text switch
        {
            "runtime/default" => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.RuntimeDefault },
            "unconfined" => new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Unconfined },
            _ when text.StartsWith(Localhost, StringComparison.Ordinal) && text.Length > Localhost.Length && text[Localhost.Length] == '/' =>
                // The kubelet sends the absolute path on the node (seccomp root joined with the pod's localhostProfile).
                new SecurityProfile { ProfileType = SecurityProfile.Types.ProfileType.Localhost, LocalhostRef = text[Localhost.Length..] },
            _ => throw new ProbeException($"--seccomp '{text}' is not runtime/default, unconfined or localhost/ABSOLUTE-PATH"),
        };
    }
}

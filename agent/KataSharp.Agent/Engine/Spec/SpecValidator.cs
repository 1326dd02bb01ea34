using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Engine.Seccomp;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>
/// Validates an OCI spec and flattens it into a <see cref="ContainerPlan"/> (rustjail's validator +
/// specconv in one pass). Every rejection is InvalidArgument naming the spec field.
/// </summary>
public static class SpecValidator
{
    // Sysctls that belong to a namespace the container owns (runc's list). Anything else would
    // change the whole guest: that is CreateSandbox's business.
    private static readonly string[] IpcSysctls =
        ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];

    /// <param name="joined">Namespaces the container joins from another container (<see cref="Containers.NamespaceJoinRequest"/>);
    /// the spec must list each of them, without a path.</param>
    public static ContainerPlan Validate(string id, OciSpec spec, string? defaultHostname, Func<string, bool?> guestPathKind,
        NamespaceSet joined = NamespaceSet.None)
    {
        if (spec.Hooks is { ValueKind: System.Text.Json.JsonValueKind.Object } hooks && hooks.EnumerateObject().Any(p => p.Value.GetArrayLength() > 0))
        {
            throw AgentException.Invalid("hooks", "OCI hooks are not supported inside the guest; run them on the host");
        }
        ProcessPlan process = ProcessValidator.Validate(spec.Process);
        NamespaceSet namespaces = Namespaces(spec.Linux);
        RequireListed(joined, namespaces);
        if (spec.Linux?.UidMappings is { Count: > 0 } || spec.Linux?.GidMappings is { Count: > 0 })
        {
            throw AgentException.Invalid("linux.uidMappings", "user namespaces are not supported (the VM is the isolation boundary)");
        }

        string? hostname = null;
        if (joined.HasFlag(NamespaceSet.Uts))
        {
            // runc's rule: no hostname without a private uts namespace. The pod's hostname is the sandbox container's.
            if (!string.IsNullOrEmpty(spec.Hostname))
            {
                throw AgentException.Invalid("hostname", "needs a uts namespace of its own; this container joins the pod's uts namespace, whose hostname is the sandbox container's");
            }
        }
        else if (namespaces.HasFlag(NamespaceSet.Uts))
        {
            hostname = string.IsNullOrEmpty(spec.Hostname) ? defaultHostname : spec.Hostname;
            if (hostname is { Length: > 64 })
            {
                throw AgentException.Invalid("hostname", $"is {hostname.Length} characters; Linux allows 64");
            }
        }
        else if (!string.IsNullOrEmpty(spec.Hostname))
        {
            throw AgentException.Invalid("hostname", "needs a uts namespace (add {\"type\":\"uts\"} to linux.namespaces)");
        }

        List<MountPlan> mounts = MountPlanner.Plan(spec.Mounts, namespaces, guestPathKind);
        if (process.Terminal && !mounts.Any(m => m.Type == "devpts" && m.Destination == "/dev/pts"))
        {
            throw AgentException.Invalid("process.terminal", "needs a devpts mount at /dev/pts (the terminal is made in the container's own devpts)");
        }
        var sysctls = new Dictionary<string, string>();
        foreach ((string key, string value) in spec.Linux?.Sysctl ?? [])
        {
            bool ipc = IpcSysctls.Contains(key) || key.StartsWith("fs.mqueue.", StringComparison.Ordinal);
            if (ipc && !namespaces.HasFlag(NamespaceSet.Ipc))
            {
                throw AgentException.Invalid($"linux.sysctl[{key}]", "needs an ipc namespace");
            }
            if (!ipc && !key.StartsWith("net.", StringComparison.Ordinal))
            {
                throw AgentException.Invalid($"linux.sysctl[{key}]", "is not namespaced; set it guest-wide with CreateSandbox.sysctls");
            }
            if (key.Contains('/') || key.Contains(".."))
            {
                throw AgentException.Invalid($"linux.sysctl[{key}]", "is not a sysctl name");
            }
            sysctls[key] = value;
        }
        if (sysctls.Count > 0 && !mounts.Any(m => m.Type == "proc"))
        {
            throw AgentException.Invalid("linux.sysctl", "needs a proc mount in the container to write /proc/sys");
        }

        MountFlags propagation = spec.Linux?.RootfsPropagation switch
        {
            null or "" or "rslave" => MountFlags.Slave | MountFlags.Recursive,
            "slave" => MountFlags.Slave,
            "rprivate" => MountFlags.Private | MountFlags.Recursive,
            "private" => MountFlags.Private,
            "rshared" => MountFlags.Shared | MountFlags.Recursive,
            "shared" => MountFlags.Shared,
            string other => throw AgentException.Invalid("linux.rootfsPropagation", $"unknown propagation '{other}'"),
        };

        foreach ((string list, IReadOnlyList<string>? paths) in new[] { ("linux.maskedPaths", (IReadOnlyList<string>?)spec.Linux?.MaskedPaths), ("linux.readonlyPaths", spec.Linux?.ReadonlyPaths) })
        {
            for (int i = 0; i < (paths?.Count ?? 0); i++)
            {
                if (!paths![i].StartsWith('/'))
                {
                    throw AgentException.Invalid($"{list}[{i}]", $"'{paths[i]}' must be an absolute path");
                }
            }
        }

        return new ContainerPlan
        {
            Id = id,
            Process = process,
            Namespaces = namespaces,
            Joined = joined,
            Hostname = hostname,
            Mounts = mounts,
            Devices = Devices(spec.Linux?.Devices),
            AllDevicesAllowed = AllowsEveryDevice(spec.Linux?.Resources?.Devices),
            Symlinks = [("/proc/self/fd", "dev/fd"), ("/proc/self/fd/0", "dev/stdin"), ("/proc/self/fd/1", "dev/stdout"), ("/proc/self/fd/2", "dev/stderr"), ("pts/ptmx", "dev/ptmx")],
            MaskedPaths = spec.Linux?.MaskedPaths ?? [],
            ReadonlyPaths = spec.Linux?.ReadonlyPaths ?? [],
            Sysctls = sysctls,
            RootReadonly = spec.Root?.Readonly ?? false,
            RootPropagation = propagation,
            Seccomp = spec.Linux?.Seccomp is { } profile ? SeccompCompiler.Compile(profile) : null,
            Resources = spec.Linux?.Resources,
        };
    }

    private static void RequireListed(NamespaceSet joined, NamespaceSet namespaces)
    {
        if ((joined & ~Containers.NamespaceJoinRequest.Joinable) != NamespaceSet.None)
        {
            throw AgentException.Invalid("join_namespaces.namespace_types", $"{joined & ~Containers.NamespaceJoinRequest.Joinable} cannot be joined from another container (only ipc, uts and pid)");
        }
        NamespaceSet unlisted = joined & ~namespaces;
        if (unlisted != NamespaceSet.None)
        {
            throw AgentException.Invalid("join_namespaces.namespace_types", $"joins {unlisted}, which linux.namespaces does not list (a container joins only namespaces its spec has)");
        }
    }

    private static NamespaceSet Namespaces(OciLinux? linux)
    {
        NamespaceSet set = NamespaceSet.None;
        List<OciNamespace> list = linux?.Namespaces ?? [];
        for (int i = 0; i < list.Count; i++)
        {
            string field = $"linux.namespaces[{i}]";
            OciNamespace ns = list[i];
            NamespaceSet flag = ns.Type switch
            {
                "mount" => NamespaceSet.Mount,
                "pid" => NamespaceSet.Pid,
                "uts" => NamespaceSet.Uts,
                "ipc" => NamespaceSet.Ipc,
                "cgroup" => NamespaceSet.Cgroup,
                // The pod's containers share the guest's network namespace: the VM is the pod.
                "network" => NamespaceSet.None,
                "user" => throw AgentException.Invalid($"{field}.type", "user namespaces are not supported (the VM is the isolation boundary)"),
                "time" => throw AgentException.Invalid($"{field}.type", "time namespaces are not supported"),
                _ => throw AgentException.Invalid($"{field}.type", $"unknown namespace type '{ns.Type}'"),
            };
            if (!string.IsNullOrEmpty(ns.Path))
            {
                // A path comes from the host's spec and names a host namespace; nothing in the guest answers to it.
                throw AgentException.Invalid($"{field}.path", ns.Type == "network"
                    ? "a network namespace path names a host namespace; the pod's containers share the guest's network namespace (the runtime connects the VM to the pod network and must drop the path)"
                    : "joining a namespace by path is not supported (a path names a host namespace); to share another container's namespaces the runtime sends CreateContainerRequest.join_namespaces");
            }
            set |= flag;
        }
        if (!set.HasFlag(NamespaceSet.Mount))
        {
            throw AgentException.Invalid("linux.namespaces", "must include a mount namespace (the container needs its own root filesystem)");
        }
        return set;
    }

    /// <summary>
    /// True when the devices cgroup rules end up allowing every device with every access, as a privileged spec's
    /// do (containerd's WithAllDevicesAllowed: one rule {allow, "rwm"}): the last rule that covers all devices
    /// (no type or "a", no numbers) allows rwm, and no rule after it denies anything.
    /// </summary>
    private static bool AllowsEveryDevice(List<OciDeviceRule>? rules)
    {
        int last = rules?.FindLastIndex(r => r.Type is null or "" or "a" && r.Major is null or -1 && r.Minor is null or -1) ?? -1;
        if (last < 0)
        {
            return false;
        }
        OciDeviceRule all = rules![last];
        bool everyAccess = string.IsNullOrEmpty(all.Access) || (all.Access.Contains('r') && all.Access.Contains('w') && all.Access.Contains('m'));
        return all.Allow && everyAccess && rules.Skip(last + 1).All(r => r.Allow);
    }

    private static List<DevicePlan> Devices(List<OciDevice>? extra)
    {
        // The devices every OCI container gets (runtime-spec "Default Devices").
        var devices = new List<DevicePlan>
        {
            new("dev/null", DevicePlan.CharDevice | 0x1b6, 1, 3, 0, 0),
            new("dev/zero", DevicePlan.CharDevice | 0x1b6, 1, 5, 0, 0),
            new("dev/full", DevicePlan.CharDevice | 0x1b6, 1, 7, 0, 0),
            new("dev/random", DevicePlan.CharDevice | 0x1b6, 1, 8, 0, 0),
            new("dev/urandom", DevicePlan.CharDevice | 0x1b6, 1, 9, 0, 0),
            new("dev/tty", DevicePlan.CharDevice | 0x1b6, 5, 0, 0, 0),
        };
        for (int i = 0; i < (extra?.Count ?? 0); i++)
        {
            OciDevice d = extra![i];
            string field = $"linux.devices[{i}]";
            uint kind = d.Type switch
            {
                "c" or "u" => DevicePlan.CharDevice,
                "b" => DevicePlan.BlockDevice,
                _ => throw AgentException.Invalid($"{field}.type", $"'{d.Type}' is not c, u or b"),
            };
            if (string.IsNullOrEmpty(d.Path) || !d.Path.StartsWith("/dev/", StringComparison.Ordinal) || d.Path.Contains(".."))
            {
                throw AgentException.Invalid($"{field}.path", $"'{d.Path}' must be an absolute path under /dev");
            }
            if (d.Major is not (>= 0 and <= 0xfff) || d.Minor is not (>= 0 and <= 0xfffff))
            {
                throw AgentException.Invalid($"{field}.major", "major (0-4095) and minor (0-1048575) are required");
            }
            string path = d.Path[1..];
            devices.RemoveAll(x => x.Path == path);
            devices.Add(new DevicePlan(path, kind | ((d.FileMode ?? 0x1b6) & 0xfff), (uint)d.Major, (uint)d.Minor, d.Uid ?? 0, d.Gid ?? 0));
        }
        return devices;
    }
}

using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Mounts;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>Turns OCI mounts into <see cref="MountPlan"/>s: known types only, options split into flags and data.</summary>
public static class MountPlanner
{
    private static readonly HashSet<string> KnownTypes = ["proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "bind", "none", ""];

    private static readonly Dictionary<string, (MountFlags Set, MountFlags Clear)> FlagOptions = new()
    {
        ["ro"] = (MountFlags.ReadOnly, 0), ["rw"] = (0, MountFlags.ReadOnly),
        ["nosuid"] = (MountFlags.NoSuid, 0), ["suid"] = (0, MountFlags.NoSuid),
        ["nodev"] = (MountFlags.NoDev, 0), ["dev"] = (0, MountFlags.NoDev),
        ["noexec"] = (MountFlags.NoExec, 0), ["exec"] = (0, MountFlags.NoExec),
        ["sync"] = (MountFlags.Synchronous, 0), ["async"] = (0, MountFlags.Synchronous),
        ["dirsync"] = (MountFlags.DirSync, 0), ["noatime"] = (MountFlags.NoAtime, 0), ["atime"] = (0, MountFlags.NoAtime),
        ["nodiratime"] = (MountFlags.NoDirAtime, 0), ["diratime"] = (0, MountFlags.NoDirAtime),
        ["relatime"] = (MountFlags.RelAtime, 0), ["norelatime"] = (0, MountFlags.RelAtime),
        ["strictatime"] = (MountFlags.StrictAtime, 0), ["nostrictatime"] = (0, MountFlags.StrictAtime),
        ["bind"] = (MountFlags.Bind, 0), ["rbind"] = (MountFlags.Bind | MountFlags.Recursive, 0),
    };

    private static readonly Dictionary<string, MountFlags> PropagationOptions = new()
    {
        ["private"] = MountFlags.Private, ["rprivate"] = MountFlags.Private | MountFlags.Recursive,
        ["shared"] = MountFlags.Shared, ["rshared"] = MountFlags.Shared | MountFlags.Recursive,
        ["slave"] = MountFlags.Slave, ["rslave"] = MountFlags.Slave | MountFlags.Recursive,
        ["unbindable"] = MountFlags.Unbindable, ["runbindable"] = MountFlags.Unbindable | MountFlags.Recursive,
    };

    /// <param name="guestPathKind">For a guest path: null when it does not exist, true for a directory, false otherwise.</param>
    public static List<MountPlan> Plan(IReadOnlyList<OciMount>? mounts, NamespaceSet namespaces, Func<string, bool?> guestPathKind)
    {
        var plans = new List<MountPlan>();
        for (int i = 0; i < (mounts?.Count ?? 0); i++)
        {
            OciMount m = mounts![i];
            string field = $"mounts[{i}]";
            if (string.IsNullOrEmpty(m.Destination) || !m.Destination.StartsWith('/'))
            {
                throw AgentException.Invalid($"{field}.destination", $"'{m.Destination}' must be an absolute path inside the container");
            }
            if (m.Destination.Split('/').Contains(".."))
            {
                throw AgentException.Invalid($"{field}.destination", $"'{m.Destination}' must not contain '..'");
            }
            string type = m.Type ?? "";
            if (!KnownTypes.Contains(type))
            {
                throw AgentException.Invalid($"{field}.type",
                    $"unknown mount type '{type}' (supported: proc, sysfs, tmpfs, devpts, mqueue, cgroup, cgroup2, bind)");
            }

            MountFlags flags = 0, propagation = 0;
            var data = new List<string>();
            foreach (string option in m.Options ?? [])
            {
                if (FlagOptions.TryGetValue(option, out var f))
                {
                    flags = (flags | f.Set) & ~f.Clear;
                }
                else if (PropagationOptions.TryGetValue(option, out MountFlags p))
                {
                    propagation = p;
                }
                else if (option is "tmpcopyup" or "defaults" or "nosymfollow" or "idmap" or "ridmap")
                {
                    // tmpcopyup needs the image under the mount: the upper layer already gives writable paths.
                    // idmap needs user namespaces, which are refused below anyway.
                }
                else
                {
                    data.Add(option);
                }
            }

            bool isBind = type == "bind" || flags.HasFlag(MountFlags.Bind);
            if (type is "none" or "" && !isBind)
            {
                throw AgentException.Invalid($"{field}.type", "is empty but the options have no bind/rbind: say which filesystem to mount");
            }
            if (type == "mqueue" && !namespaces.HasFlag(NamespaceSet.Ipc))
            {
                throw AgentException.Invalid($"{field}.type", "mqueue needs an ipc namespace (add {\"type\":\"ipc\"} to linux.namespaces)");
            }

            bool isFile = false;
            string source = m.Source ?? type;
            if (isBind)
            {
                if (!source.StartsWith('/'))
                {
                    throw AgentException.Invalid($"{field}.source", $"'{m.Source}' must be an absolute guest path for a bind mount");
                }
                bool? isDirectory = guestPathKind(source);
                if (isDirectory is null)
                {
                    throw AgentException.Invalid($"{field}.source",
                        $"'{source}' does not exist in the guest (copy small files in with CopyFile and bind its guest_path)");
                }
                isFile = isDirectory == false;
                flags |= MountFlags.Bind;
            }
            string fsType = isBind ? "" : type == "cgroup" ? "cgroup2" : type;
            if (fsType == "cgroup2")
            {
                // cgroup v1 option lists (cgroup names) mean nothing to cgroup2.
                data.Clear();
            }
            plans.Add(new MountPlan(source, m.Destination, fsType, flags, propagation, string.Join(',', data), isFile));
        }
        return plans;
    }
}

using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Engine.Plans;
using KataSharp.Agent.Errors;
using KataSharp.Linux.Terminals;

namespace KataSharp.Agent.Engine.Spec;

/// <summary>Checks an OCI process (container init or exec) and resolves it into a <see cref="ProcessPlan"/>.</summary>
public static class ProcessValidator
{
    private const long MaxId = uint.MaxValue - 1; // (uid_t)-1 means "unchanged" to the kernel

    public static ProcessPlan Validate(OciProcess? process, string field = "process")
    {
        if (process is null)
        {
            throw AgentException.Invalid(field, "is required (the program to run)");
        }
        if (process.Args is null || process.Args.Count == 0)
        {
            throw AgentException.Invalid($"{field}.args", "must not be empty: give at least the program to run");
        }
        if (string.IsNullOrEmpty(process.Args[0]))
        {
            throw AgentException.Invalid($"{field}.args[0]", "must name the program to run");
        }
        string cwd = string.IsNullOrEmpty(process.Cwd) ? "/" : process.Cwd;
        if (!cwd.StartsWith('/'))
        {
            throw AgentException.Invalid($"{field}.cwd", $"'{cwd}' must be an absolute path");
        }
        List<string> env = process.Env ?? [];
        for (int i = 0; i < env.Count; i++)
        {
            if (!env[i].Contains('=') || env[i].StartsWith('='))
            {
                throw AgentException.Invalid($"{field}.env[{i}]", $"'{env[i]}' is not KEY=value");
            }
        }

        OciUser user = process.User ?? new OciUser();
        string? username = string.IsNullOrEmpty(user.Username) ? null : user.Username;
        if (user.Uid is null && username is null)
        {
            throw AgentException.Invalid($"{field}.user.uid", "is required (or give user.username to look up in the container's /etc/passwd)");
        }
        uint uid = Id(user.Uid ?? 0, $"{field}.user.uid");
        uint gid = Id(user.Gid ?? 0, $"{field}.user.gid");
        var groups = new List<uint>();
        for (int i = 0; i < (user.AdditionalGids?.Count ?? 0); i++)
        {
            groups.Add(Id(user.AdditionalGids![i], $"{field}.user.additionalGids[{i}]"));
        }
        if (groups.Count > 65536)
        {
            throw AgentException.Invalid($"{field}.user.additionalGids", $"has {groups.Count} entries; the kernel allows 65536");
        }
        uint? umask = null;
        if (user.Umask is long u)
        {
            umask = u is >= 0 and <= 0x1ff ? (uint)u : throw AgentException.Invalid($"{field}.user.umask", $"{u} is not a permission mask (0-0777)");
        }

        // No capabilities object means none at all (runc's rule), not "keep the agent's".
        var caps = new CapabilitySets(0, 0, 0, 0, 0);
        if (process.Capabilities is OciCapabilities c)
        {
            caps = new CapabilitySets(
                CapabilityNames.ToMask(c.Bounding, $"{field}.capabilities.bounding"),
                CapabilityNames.ToMask(c.Effective, $"{field}.capabilities.effective"),
                CapabilityNames.ToMask(c.Inheritable, $"{field}.capabilities.inheritable"),
                CapabilityNames.ToMask(c.Permitted, $"{field}.capabilities.permitted"),
                CapabilityNames.ToMask(c.Ambient, $"{field}.capabilities.ambient"));
        }

        var rlimits = new List<RlimitPlan>();
        for (int i = 0; i < (process.Rlimits?.Count ?? 0); i++)
        {
            OciRlimit r = process.Rlimits![i];
            int resource = RlimitNames.ResourceOf(r.Type ?? "")
                ?? throw AgentException.Invalid($"{field}.rlimits[{i}].type", $"unknown rlimit '{r.Type}' (expected a name like RLIMIT_NOFILE)");
            if (r.Soft > r.Hard)
            {
                throw AgentException.Invalid($"{field}.rlimits[{i}].soft", $"{r.Soft} is above the hard limit {r.Hard}");
            }
            if (rlimits.Any(x => x.Resource == resource))
            {
                throw AgentException.Invalid($"{field}.rlimits[{i}].type", $"{r.Type} is given twice");
            }
            rlimits.Add(new RlimitPlan(resource, r.Soft, r.Hard));
        }

        if (process.OomScoreAdj is int oom && oom is < -1000 or > 1000)
        {
            throw AgentException.Invalid($"{field}.oomScoreAdj", $"{oom} is outside -1000..1000");
        }

        TerminalSize? size = process.ConsoleSize is { Height: > 0, Width: > 0 } box
            ? new TerminalSize((ushort)Math.Min(box.Height, ushort.MaxValue), (ushort)Math.Min(box.Width, ushort.MaxValue))
            : null;

        return new ProcessPlan
        {
            Args = process.Args,
            Env = env,
            Cwd = cwd,
            Uid = uid,
            Gid = gid,
            AdditionalGids = groups,
            Username = username,
            Umask = umask,
            Capabilities = caps,
            Rlimits = rlimits,
            NoNewPrivileges = process.NoNewPrivileges,
            Terminal = process.Terminal,
            ConsoleSize = size,
            OomScoreAdj = process.OomScoreAdj,
        };
    }

    private static uint Id(long value, string field) =>
        value is >= 0 and <= MaxId ? (uint)value : throw AgentException.Invalid(field, $"{value} is not a valid id (0..{MaxId})");
}

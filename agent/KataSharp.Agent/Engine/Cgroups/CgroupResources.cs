using KataSharp.Agent.Engine.Oci;
using KataSharp.Agent.Errors;

namespace KataSharp.Agent.Engine.Cgroups;

/// <summary>OCI LinuxResources (cgroup v1 vocabulary) to cgroup v2 file writes, with runc's conversions.</summary>
public static class CgroupResources
{
    public static List<(string File, string Value, string Source)> ToFiles(OciResources? r, string field)
    {
        var files = new List<(string, string, string)>();
        if (r is null)
        {
            return files;
        }
        if (r.Memory is OciMemory m)
        {
            if (m.Limit is long limit)
            {
                files.Add(("memory.max", limit <= 0 ? "max" : limit.ToString(), $"{field}.memory.limit"));
            }
            if (m.Reservation is long low and > 0)
            {
                files.Add(("memory.low", low.ToString(), $"{field}.memory.reservation"));
            }
            if (m.Swap is long swap && swap > 0 && m.Limit is long l && l > 0)
            {
                // v1 swap is memory+swap; v2 swap.max is swap alone.
                if (swap < l)
                {
                    throw AgentException.Invalid($"{field}.memory.swap", $"{swap} is below memory.limit {l} (v1 swap counts memory + swap)");
                }
                files.Add(("memory.swap.max", (swap - l).ToString(), $"{field}.memory.swap"));
            }
        }
        if (r.Cpu is OciCpu c)
        {
            if (c.Shares is ulong shares and > 0)
            {
                // runc: weight = 1 + ((shares - 2) * 9999) / 262142, shares clamped to [2, 262144].
                ulong s = Math.Clamp(shares, 2UL, 262144UL);
                files.Add(("cpu.weight", (1 + ((s - 2) * 9999) / 262142).ToString(), $"{field}.cpu.shares"));
            }
            if (c.Quota is not null || c.Period is not null)
            {
                ulong period = c.Period is ulong p and > 0 ? p : 100000;
                string quota = c.Quota is long q and > 0 ? q.ToString() : "max";
                files.Add(("cpu.max", $"{quota} {period}", $"{field}.cpu.quota"));
            }
            if (!string.IsNullOrEmpty(c.Cpus))
            {
                files.Add(("cpuset.cpus", c.Cpus, $"{field}.cpu.cpus"));
            }
            if (!string.IsNullOrEmpty(c.Mems))
            {
                files.Add(("cpuset.mems", c.Mems, $"{field}.cpu.mems"));
            }
        }
        if (r.Pids is OciPids pids)
        {
            files.Add(("pids.max", pids.Limit <= 0 ? "max" : pids.Limit.ToString(), $"{field}.pids.limit"));
        }
        foreach ((string key, string value) in r.Unified ?? [])
        {
            if (key.Contains('/') || key.StartsWith("cgroup.", StringComparison.Ordinal) || !key.Contains('.'))
            {
                throw AgentException.Invalid($"{field}.unified[{key}]", "is not a controller file (like memory.high)");
            }
            files.Add((key, value, $"{field}.unified[{key}]"));
        }
        return files;
    }
}
